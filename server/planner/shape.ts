/**
 * A model's memory shape: what the calculator needs, read from a GGUF header (metadata + tensor infos) or
 * derived for the built-in catalog. Pure: works on a structural subset of node-llama-cpp's `GgufFileInfo`,
 * so this module never loads node-llama-cpp.
 */
import { tensorBytes } from "./ggml";

/** Where a tensor lives in llama.cpp: input layer (always CPU), repeating layer N, or output. */
export type TensorPlace = { kind: "input" } | { kind: "layer"; layer: number } | { kind: "output" };

export interface ModelShape {
    /** `general.name` or a catalog name. */
    name: string;
    architecture: string;
    /** Repeating layers (`block_count`). */
    layers: number;
    embedding: number;
    heads: number;
    kvHeads: number;
    headDimK: number;
    headDimV: number;
    ffn: number;
    vocab: number;
    /** Native (training) context. */
    trainContext: number;
    /** Bytes of each repeating layer's tensors. */
    layerBytes: readonly number[];
    /** Bytes of the largest single weight tensor of any layer (a partial offload copies such tensors). */
    largestLayerTensorBytes: number;
    /** Input tensors (token embeddings): llama.cpp keeps them in RAM whatever the offload. */
    inputBytes: number;
    /** Output head + final norm: on the GPU only when every layer is (gpuLayers > layers). */
    outputBytes: number;
    /** Whole file, header included. */
    fileBytes: number;
    /** Total parameters. */
    parameters: number;
    /** Quantization name from `general.file_type` ("Q4_K_M"), if known. */
    quant?: string;
}

export interface GgufTensorLike {
    name: string;
    dimensions: readonly (number | bigint)[];
    ggmlType: number;
    /** Absolute offset of the tensor's data in its file (node-llama-cpp `fileOffset`). */
    fileOffset?: number | bigint;
    /** Split files: which part (1-based). */
    filePart?: number;
}

/** The structural subset of node-llama-cpp's GgufFileInfo the planner reads. */
export interface GgufInfoLike {
    metadata: { general?: { architecture?: string; name?: string; file_type?: number }; tokenizer?: { ggml?: { tokens?: readonly string[] } } } & Record<string, unknown>;
    architectureMetadata: {
        context_length?: number; embedding_length?: number; feed_forward_length?: number; block_count?: number; vocab_size?: number;
        attention?: { head_count?: number | readonly number[]; head_count_kv?: number | readonly number[]; key_length?: number; value_length?: number };
    };
    fullTensorInfo?: readonly GgufTensorLike[];
    tensorInfo?: readonly GgufTensorLike[];
    /** Header bytes (node-llama-cpp: metadataSize + tensorInfoSize); used for fileBytes with the tensor data. */
    totalMetadataSize?: number;
    totalTensorInfoSize?: number;
}

/** llama.cpp's `llama_ftype` names, by `general.file_type`. */
export const FILE_TYPE_NAMES: Readonly<Record<number, string>> = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M",
    13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS",
    21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
};

const INPUT_PREFIXES = new Set(["token_embd", "token_embd_norm", "token_types", "position_embd"]);

/** llama.cpp's placement of a tensor (`llm_tensor_info` layers: input / repeating / output). */
export function tensorPlace(name: string): TensorPlace {
    const first = name.split(".")[0] ?? "";
    if (INPUT_PREFIXES.has(first)) return { kind: "input" };
    const m = /^blk\.(\d+)\./.exec(name);
    if (m) return { kind: "layer", layer: Number(m[1]) };
    return { kind: "output" };
}

export interface TensorLike { name: string; dims: readonly (number | bigint)[]; type: number | string }

export interface Hparams {
    name: string; architecture: string; layers: number; embedding: number; heads: number; kvHeads: number;
    headDimK: number; headDimV: number; ffn: number; vocab: number; trainContext: number; quant?: string;
}

/** Builds a shape from hyperparameters and the tensor list (exact bytes per tensor by type). */
export function shapeFromTensors(h: Hparams, tensors: readonly TensorLike[], headerBytes: number): ModelShape {
    const layerBytes = new Array<number>(h.layers).fill(0);
    let inputBytes = 0, outputBytes = 0, largest = 0, parameters = 0;
    for (const t of tensors) {
        const bytes = tensorBytes(t.dims, t.type);
        parameters += t.dims.map(Number).reduce((a, b) => a * b, 1);
        const place = tensorPlace(t.name);
        if (place.kind === "input") inputBytes += bytes;
        else if (place.kind === "output") outputBytes += bytes;
        else {
            if (place.layer >= h.layers) throw new Error(`tensor ${t.name} is beyond block_count ${h.layers}`);
            layerBytes[place.layer]! += bytes;
            largest = Math.max(largest, bytes);
        }
    }
    const dataBytes = inputBytes + outputBytes + layerBytes.reduce((a, b) => a + b, 0);
    return { ...h, layerBytes, largestLayerTensorBytes: largest, inputBytes, outputBytes, fileBytes: headerBytes + dataBytes, parameters };
}

const first = (v: number | readonly number[] | undefined): number | undefined => (Array.isArray(v) ? Math.max(...(v as number[])) : (v as number | undefined));

/** Reads a shape from a parsed GGUF header (node-llama-cpp `readGgufFileInfo`, local file or URL). */
export function shapeFromGgufInfo(info: GgufInfoLike, fallbackName = "model"): ModelShape {
    const a = info.architectureMetadata;
    const g = info.metadata.general ?? {};
    const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];
    const heads = first(a.attention?.head_count) ?? 0;
    const embedding = a.embedding_length ?? 0;
    const layers = a.block_count ?? new Set(tensors.map((t) => tensorPlace(t.name)).filter((p) => p.kind === "layer").map((p) => (p as { layer: number }).layer)).size;
    const headDim = heads > 0 ? embedding / heads : 0;
    const h: Hparams = {
        name: g.name ?? fallbackName,
        architecture: g.architecture ?? "unknown",
        layers,
        embedding,
        heads,
        kvHeads: first(a.attention?.head_count_kv) ?? heads,
        headDimK: a.attention?.key_length ?? headDim,
        headDimV: a.attention?.value_length ?? headDim,
        ffn: first(a.feed_forward_length as number | readonly number[] | undefined) ?? 0,
        vocab: a.vocab_size ?? info.metadata.tokenizer?.ggml?.tokens?.length ?? Number(tensors.find((t) => t.name === "token_embd.weight")?.dimensions[1] ?? 0),
        trainContext: a.context_length ?? 4096,
    };
    const quant = g.file_type !== undefined ? FILE_TYPE_NAMES[g.file_type] : undefined;
    if (quant) h.quant = quant;
    const shape = shapeFromTensors(h, tensors.map((t) => ({ name: t.name, dims: t.dimensions, type: t.ggmlType })), 0);
    // file size: each part ends after its last tensor, padded to the 32-byte alignment
    const ends = new Map<number, number>();
    for (const t of tensors) {
        if (t.fileOffset === undefined) continue;
        const end = Number(t.fileOffset) + tensorBytes(t.dimensions, t.ggmlType);
        ends.set(t.filePart ?? 1, Math.max(ends.get(t.filePart ?? 1) ?? 0, end));
    }
    const fileBytes = ends.size > 0
        ? [...ends.values()].reduce((a, e) => a + Math.ceil(e / 32) * 32, 0)
        : shape.fileBytes + (info.totalMetadataSize ?? 0) + (info.totalTensorInfoSize ?? 0);
    return { ...shape, fileBytes };
}
