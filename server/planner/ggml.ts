/**
 * ggml tensor types: id (as stored in GGUF tensor infos), block size in elements and bytes per block, from
 * ggml's type traits (ggml.c, `type_traits`). Pure data; the planner sizes tensors with it.
 */

export interface GgmlTypeInfo {
    readonly name: string;
    readonly id: number;
    readonly blockElements: number;
    readonly blockBytes: number;
}

const T = (name: string, id: number, blockElements: number, blockBytes: number): GgmlTypeInfo => ({ name, id, blockElements, blockBytes });

export const GGML_TYPES: readonly GgmlTypeInfo[] = [
    T("F32", 0, 1, 4), T("F16", 1, 1, 2), T("Q4_0", 2, 32, 18), T("Q4_1", 3, 32, 20), T("Q5_0", 6, 32, 22),
    T("Q5_1", 7, 32, 24), T("Q8_0", 8, 32, 34), T("Q8_1", 9, 32, 36), T("Q2_K", 10, 256, 84), T("Q3_K", 11, 256, 110),
    T("Q4_K", 12, 256, 144), T("Q5_K", 13, 256, 176), T("Q6_K", 14, 256, 210), T("Q8_K", 15, 256, 292),
    T("IQ2_XXS", 16, 256, 66), T("IQ2_XS", 17, 256, 74), T("IQ3_XXS", 18, 256, 98), T("IQ1_S", 19, 256, 50),
    T("IQ4_NL", 20, 32, 18), T("IQ3_S", 21, 256, 110), T("IQ2_S", 22, 256, 82), T("IQ4_XS", 23, 256, 136),
    T("I8", 24, 1, 1), T("I16", 25, 1, 2), T("I32", 26, 1, 4), T("I64", 27, 1, 8), T("F64", 28, 1, 8),
    T("IQ1_M", 29, 256, 56), T("BF16", 30, 1, 2), T("TQ1_0", 34, 256, 54), T("TQ2_0", 35, 256, 66),
    T("MXFP4", 39, 32, 17),
];

const BY_ID = new Map(GGML_TYPES.map((t) => [t.id, t]));
const BY_NAME = new Map(GGML_TYPES.map((t) => [t.name, t]));

export type GgmlTypeName = "F32" | "F16" | "BF16" | "Q8_0" | "Q6_K" | "Q5_K" | "Q5_0" | "Q5_1" | "Q4_K" | "Q4_0" | "Q3_K" | "Q2_K" | "IQ4_NL" | (string & {});

export function ggmlType(idOrName: number | string): GgmlTypeInfo {
    const t = typeof idOrName === "number" ? BY_ID.get(idOrName) : BY_NAME.get(idOrName.toUpperCase());
    if (!t) throw new Error(`unknown ggml type ${JSON.stringify(idOrName)}`);
    return t;
}

/** Bytes of a tensor with these dimensions (ggml order, ne0 first) and type; rows are whole blocks. */
export function tensorBytes(dims: readonly (number | bigint)[], type: number | string): number {
    const t = ggmlType(type);
    const ne = dims.map(Number);
    const ne0 = ne[0] ?? 1;
    const rows = ne.slice(1).reduce((a, b) => a * b, 1);
    return Math.floor((ne0 * t.blockBytes) / t.blockElements) * rows;
}

/** Bits per weight of a type (e.g. Q4_K = 4.5). */
export function bitsPerWeight(type: number | string): number {
    const t = ggmlType(type);
    return (t.blockBytes * 8) / t.blockElements;
}

/** The KV cache types the planner offers (llama.cpp `--cache-type-k/v`). */
export const KV_CACHE_TYPES = ["f16", "q8_0"] as const;
export type KvCacheType = (typeof KV_CACHE_TYPES)[number];

/** Bytes per element of a KV cache type (q8_0: 34 bytes per 32 elements). */
export function kvBytesPerElement(type: KvCacheType): number {
    const t = ggmlType(type === "f16" ? "F16" : "Q8_0");
    return t.blockBytes / t.blockElements;
}
