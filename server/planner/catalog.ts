/**
 * The built-in GLM-4 catalog: GLM-4-32B-0414 (the main model) and GLM-4-9B-0414 (a second completion model and
 * a draft model for speculative decoding of the 32B: same tokenizer), each at Q2_K..Q8_0 and BF16.
 *
 * File sizes: each variant's tensor list is derived from llama.cpp's quantization rules (`quantMix.ts`) and
 * sized exactly by ggml type; the header (tokenizer: 151,552 tokens and their merges) is estimated. Published
 * sizes are kept where known (32B Q4_K_M 19.67 GB, Q8_0 ~34.6 GB) and the derived ones agree with them to
 * within 0.1% (tested). Every other size is derived, and `sizeSource` says so.
 */
import { CATALOG_QUANTS, glm4QuantTensors, type CatalogQuant, type Glm4Arch } from "./quantMix";
import { shapeFromTensors, type ModelShape } from "./shape";

export type CatalogModelId = "glm-4-32b-0414" | "glm-4-9b-0414";

export interface SpeedMeasurement {
    /** Where it was measured. */
    device: string;
    /** Memory bandwidth of that device, GB/s (decode is bandwidth-bound). */
    bandwidthGBs: number;
    /** Dense fp16 tensor throughput of that device, TFLOPS (prompt evaluation is compute-bound). */
    fp16Tflops: number;
    quant: CatalogQuant;
    /** Decode tokens/s at short context. */
    decodeTokS: number;
    /** Decode tokens/s at the native 32K context, if measured. */
    decodeTokS32k?: number;
    /** Prompt tokens/s. */
    promptTokS: number;
}

export interface CatalogModel {
    id: CatalogModelId;
    displayName: string;
    /** Hugging Face repository of the GGUF files (bartowski; unsloth and lmstudio-community have the same). */
    repo: string;
    arch: Glm4Arch;
    /** What the product uses it for. */
    role: "main" | "completion-and-draft";
    /** Published file sizes in bytes, where known. */
    publishedBytes: Partial<Record<CatalogQuant, number>>;
    /** GLM4.md measurements (H100, llama.cpp of node-llama-cpp 3.21.1, random weights of the exact shape). */
    measured: SpeedMeasurement;
}

export interface CatalogVariant {
    model: CatalogModel;
    quant: CatalogQuant;
    /** `hf:user/repo:QUANT` (node-llama-cpp's model URI). */
    uri: string;
    fileBytes: number;
    /** "published": the hub's size; "derived": computed from the quantization rules (see the module doc). */
    sizeSource: "published" | "derived";
    /** The size derived from the tensor list (also for published ones, to show the agreement). */
    derivedBytes: number;
    shape: ModelShape;
}

/** Header bytes of a GLM-4-0414 GGUF (metadata + tokenizer + tensor infos), estimated. */
export const GLM4_HEADER_BYTES_ESTIMATE = 6_000_000;

/** H100 SXM 80GB (HBM3): the GPU behind GLM4.md's measurements. */
const H100 = { device: "NVIDIA H100 80GB", bandwidthGBs: 3350, fp16Tflops: 989 };

export const GLM4_32B: CatalogModel = {
    id: "glm-4-32b-0414",
    displayName: "GLM-4-32B-0414",
    repo: "bartowski/THUDM_GLM-4-32B-0414-GGUF",
    arch: { embedding: 6144, layers: 61, heads: 48, kvHeads: 2, headDim: 128, ffn: 23040, vocab: 151552, trainContext: 32768, qkvBias: false },
    role: "main",
    publishedBytes: { Q4_K_M: 19.67e9, Q8_0: 34.6e9 },
    measured: { ...H100, quant: "Q4_K_M", decodeTokS: 72.4, promptTokS: 2430 }, // bench/gpu/results/h100-2026-11-26.json (f16 KV, median of 4 contexts)
};

export const GLM4_9B: CatalogModel = {
    id: "glm-4-9b-0414",
    displayName: "GLM-4-9B-0414",
    repo: "bartowski/THUDM_GLM-4-9B-0414-GGUF",
    arch: { embedding: 4096, layers: 40, heads: 32, kvHeads: 2, headDim: 128, ffn: 13696, vocab: 151552, trainContext: 32768, qkvBias: true },
    role: "completion-and-draft",
    publishedBytes: {},
    // bench/gpu/results/h100-2026-11-26-second-model-{1,2}.json (f16 KV, flash attention, 8K context; decode: greedy chat
    // replies, medians 166 and 167; prompt: a 5,480-token completion prompt, 7,384 and 7,621 tok/s)
    measured: { ...H100, quant: "Q4_K_M", decodeTokS: 166, promptTokS: 7500 },
};

export const CATALOG_MODELS: readonly CatalogModel[] = [GLM4_32B, GLM4_9B];

const variants = new Map<string, CatalogVariant>();

export function catalogVariant(model: CatalogModel, quant: CatalogQuant): CatalogVariant {
    const key = `${model.id}:${quant}`;
    const cached = variants.get(key);
    if (cached && cached.model === model) return cached;
    const a = model.arch;
    const shape = shapeFromTensors({
        name: `${model.displayName} ${quant}`, architecture: "glm4", layers: a.layers, embedding: a.embedding, heads: a.heads,
        kvHeads: a.kvHeads, headDimK: a.headDim, headDimV: a.headDim, ffn: a.ffn, vocab: a.vocab, trainContext: a.trainContext, quant,
    }, glm4QuantTensors(a, quant), GLM4_HEADER_BYTES_ESTIMATE);
    const published = model.publishedBytes[quant];
    const v: CatalogVariant = {
        model, quant, uri: `hf:${model.repo}:${quant}`,
        fileBytes: published ?? shape.fileBytes,
        sizeSource: published !== undefined ? "published" : "derived",
        derivedBytes: shape.fileBytes,
        shape,
    };
    variants.set(key, v);
    return v;
}

/** Every catalog variant, 32B first, each model from the smallest quantization to BF16. */
export function catalogVariants(models: readonly CatalogModel[] = CATALOG_MODELS): CatalogVariant[] {
    return models.flatMap((m) => CATALOG_QUANTS.map((q) => catalogVariant(m, q)));
}

/** The catalog variant an `hf:` URI names (repo and quant, case-insensitive), if any. */
export function findCatalogVariant(uri: string): CatalogVariant | undefined {
    const m = /^hf:([^/]+\/[^:/]+):([A-Za-z0-9_]+)$/.exec(uri.trim());
    if (!m) return undefined;
    const model = CATALOG_MODELS.find((c) => c.repo.toLowerCase() === m[1]!.toLowerCase());
    const quant = CATALOG_QUANTS.find((q) => q === m[2]!.toUpperCase());
    return model && quant ? catalogVariant(model, quant) : undefined;
}
