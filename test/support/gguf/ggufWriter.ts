/**
 * A minimal, dependency-free GGUF v3 writer that streams tensor data, so it can write a 0.3 MB test fixture
 * or a 20 GB benchmark model with the same code. Tensor payloads come from a caller-supplied filler; the
 * writer owns the layout (header, metadata, tensor infos, 32-byte aligned data section).
 */
import * as fs from "node:fs";

export const enum GgufValueType {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
    STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
}

/** ggml tensor types this writer can size. */
export const GgmlTypes = {
    F32: { id: 0, blockElements: 1, blockBytes: 4 },
    F16: { id: 1, blockElements: 1, blockBytes: 2 },
    Q5_0: { id: 6, blockElements: 32, blockBytes: 22 },
    Q8_0: { id: 8, blockElements: 32, blockBytes: 34 },
    Q4_K: { id: 12, blockElements: 256, blockBytes: 144 },
    Q6_K: { id: 14, blockElements: 256, blockBytes: 210 },
} as const;
export type GgmlTypeName = keyof typeof GgmlTypes;

export type MetaValue =
    | { type: "u32"; value: number }
    | { type: "i32"; value: number }
    | { type: "f32"; value: number }
    | { type: "bool"; value: boolean }
    | { type: "string"; value: string }
    | { type: "string[]"; value: readonly string[] }
    | { type: "i32[]"; value: readonly number[] }
    | { type: "f32[]"; value: readonly number[] };

export interface TensorSpec {
    name: string;
    /** ggml order: ne0 (contiguous) first. */
    dims: readonly number[];
    type: GgmlTypeName;
}

/** Writes `bytes` of payload for one tensor, in pieces, through `write`. */
export type TensorFiller = (tensor: TensorSpec, bytes: number, write: (chunk: Uint8Array) => void) => void;

const ALIGNMENT = 32;

export function tensorBytes(t: TensorSpec): number {
    const info = GgmlTypes[t.type];
    const elements = t.dims.reduce((a, b) => a * b, 1);
    if (elements % info.blockElements !== 0)
        throw new Error(`tensor ${t.name}: ${elements} elements is not a multiple of ${t.type}'s block of ${info.blockElements}`);
    return (elements / info.blockElements) * info.blockBytes;
}

class ByteSink {
    private parts: Buffer[] = [];
    length = 0;
    push(b: Buffer): void { this.parts.push(b); this.length += b.length; }
    u32(v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
    i32(v: number): void { const b = Buffer.alloc(4); b.writeInt32LE(v); this.push(b); }
    u64(v: number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
    f32(v: number): void { const b = Buffer.alloc(4); b.writeFloatLE(v); this.push(b); }
    str(s: string): void { const b = Buffer.from(s, "utf8"); this.u64(b.length); this.push(b); }
    concat(): Buffer { return Buffer.concat(this.parts); }
}

function writeMeta(sink: ByteSink, key: string, v: MetaValue): void {
    sink.str(key);
    switch (v.type) {
        case "u32": sink.u32(GgufValueType.UINT32); sink.u32(v.value); break;
        case "i32": sink.u32(GgufValueType.INT32); sink.i32(v.value); break;
        case "f32": sink.u32(GgufValueType.FLOAT32); sink.f32(v.value); break;
        case "bool": sink.u32(GgufValueType.BOOL); sink.push(Buffer.from([v.value ? 1 : 0])); break;
        case "string": sink.u32(GgufValueType.STRING); sink.str(v.value); break;
        case "string[]":
            sink.u32(GgufValueType.ARRAY); sink.u32(GgufValueType.STRING); sink.u64(v.value.length);
            for (const s of v.value) sink.str(s);
            break;
        case "i32[]":
            sink.u32(GgufValueType.ARRAY); sink.u32(GgufValueType.INT32); sink.u64(v.value.length);
            for (const n of v.value) sink.i32(n);
            break;
        case "f32[]":
            sink.u32(GgufValueType.ARRAY); sink.u32(GgufValueType.FLOAT32); sink.u64(v.value.length);
            for (const n of v.value) sink.f32(n);
            break;
    }
}

/** Builds the header (everything before the data section), padded to the alignment. */
export function buildHeader(meta: ReadonlyMap<string, MetaValue>, tensors: readonly TensorSpec[]): Buffer {
    const sink = new ByteSink();
    sink.push(Buffer.from("GGUF", "ascii"));
    sink.u32(3);
    sink.u64(tensors.length);
    sink.u64(meta.size);
    for (const [k, v] of meta) writeMeta(sink, k, v);
    let offset = 0;
    for (const t of tensors) {
        sink.str(t.name);
        sink.u32(t.dims.length);
        for (const d of t.dims) sink.u64(d);
        sink.u32(GgmlTypes[t.type].id);
        sink.u64(offset);
        offset += align(tensorBytes(t));
    }
    const pad = align(sink.length) - sink.length;
    if (pad) sink.push(Buffer.alloc(pad));
    return sink.concat();
}

export function align(n: number): number {
    return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

/** Total file size, without writing anything. */
export function ggufFileSize(meta: ReadonlyMap<string, MetaValue>, tensors: readonly TensorSpec[]): number {
    return buildHeader(meta, tensors).length + tensors.reduce((s, t) => s + align(tensorBytes(t)), 0);
}

/** Writes the file synchronously, streaming tensor data in chunks (never the whole model in memory). */
export function writeGguf(path: string, meta: ReadonlyMap<string, MetaValue>, tensors: readonly TensorSpec[], fill: TensorFiller): number {
    const fd = fs.openSync(path, "w");
    let written = 0;
    const put = (chunk: Uint8Array): void => {
        let off = 0;
        while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
        written += chunk.length;
    };
    try {
        put(buildHeader(meta, tensors));
        for (const t of tensors) {
            const bytes = tensorBytes(t);
            const before = written;
            fill(t, bytes, put);
            if (written - before !== bytes)
                throw new Error(`filler wrote ${written - before} bytes for ${t.name}, expected ${bytes}`);
            const pad = align(bytes) - bytes;
            if (pad) put(new Uint8Array(pad));
        }
    } finally {
        fs.closeSync(fd);
    }
    return written;
}
