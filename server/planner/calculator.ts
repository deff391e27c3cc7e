/**
 * The VRAM/RAM calculator: what loading a model with a given context needs, split into weights, KV cache,
 * compute buffers and runtime overhead, on the GPU and in RAM. Pure arithmetic over a `ModelShape`.
 *
 * Rules (llama.cpp of node-llama-cpp 3.21.1):
 * - Weights: repeating layer i is on the GPU when i >= layers - gpuLayers; the output head only when
 *   gpuLayers > layers (node-llama-cpp's "max" = layers + 1); token embeddings always stay in RAM.
 * - KV cache: per offloaded layer, context (padded to 256) x sequences x KV heads x (K + V head dims) x bytes
 *   of the cache type (f16: 2, q8_0: 34/32). GLM-4-32B at f16: 61 x 2 x 128 x 2 x 2 = 61 KiB per token.
 * - Compute buffer: ggml's allocator keeps the peak of the graph at batch `ubatch` (512): with flash attention
 *   max(layer phase = f16 KQ mask (ubatch x n_kv x 2) + FFN activations (ubatch x 4 x (3 ffn + 2 embd)),
 *   output phase = logits (ubatch x 4 x (vocab + 2 embd))); without it the f32 attention scores
 *   (ubatch x n_kv x heads x 4) and f32 mask dominate. Checked against llama.cpp's own dry-run allocation
 *   (node-llama-cpp's simulation, CPU backend): within a few KiB on the tiny and the full-width model.
 *   On the GPU the output phase is one embedding row-set smaller, logits + 1 embd: measured on an H100
 *   (CUDA, 2026-11-26, bench/gpu/results/h100-2026-11-26.json) llama.cpp logged "CUDA0 compute buffer size =
 *   308.00 MiB" = 512 x 4 x (151552 + 6144) B for GLM-4-32B at 4K..64K, f16 and q8_0 KV, where the CPU dry run
 *   gives 320 MiB. (llama.cpp also logged a CUDA_Host compute buffer of 24 MiB + the f16 mask, where the input
 *   embeddings are built; which activation the CPU graph holds in addition was not traced.)
 * - Partial offload: llama.cpp copies CPU-resident weights of large-batch ops to the GPU ("op offload"), so
 *   the GPU compute buffer also holds the largest such weight (unmeasured on a GPU here; conservative).
 * - Runtime overhead, outside llama.cpp's buffers, measured on the H100 (CUDA 13, driver 580, same file):
 *   the process's CUDA context, 518 MiB (nvidia-smi process memory after getLlama, before any model); 74 MiB
 *   more from the first evaluation on, kept until the process ends (cuBLAS / ggml-cuda pool); 22 MiB per
 *   llama.cpp context from its first evaluation, freed with it (CUDA graphs, its pool). GPU_RUNTIME_OVERHEAD
 *   (592 MiB) + contexts x GPU_CONTEXT_OVERHEAD (22 MiB) reproduces the process's nvidia-smi memory of the
 *   five measured configurations exactly and a two-context load within 14 MiB (test/unit/plannerGpuMeasured).
 *   Note: free VRAM read after getLlama already excludes the CUDA context (518 MiB), so a first-run budget
 *   compared with this total errs on the safe side by that much.
 */
import { kvBytesPerElement, type KvCacheType } from "./ggml";
import type { ModelShape } from "./shape";

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;
export const CONTEXT_PAD = 256;
export const DEFAULT_UBATCH = 512;
/** The process's CUDA context (H100, CUDA 13: nvidia-smi process memory after getLlama, before any model). */
export const GPU_CUDA_CONTEXT = 518 * MiB;
/**
 * GPU runtime overhead per process, outside llama.cpp's buffers: the CUDA context plus the 74 MiB (cuBLAS,
 * ggml-cuda pool) allocated at the first evaluation and kept. Measured on an H100, 2026-11-26 (module doc).
 */
export const GPU_RUNTIME_OVERHEAD = GPU_CUDA_CONTEXT + 74 * MiB;
/** Per llama.cpp context, from its first evaluation until it is disposed (H100 measurement: 22 MiB). */
export const GPU_CONTEXT_OVERHEAD = 22 * MiB;
/** YaRN factor GLM-4-0414 uses beyond its native context (the model card: 4 x 32K = 128K). */
export const YARN_FACTOR = 4;

export interface EstimateInput {
    shape: ModelShape;
    /** Tokens per sequence, 1 .. 131072 (beyond the native context: YaRN). */
    contextSize: number;
    /** KV cache type (default f16). q8_0 needs flash attention. */
    kvCacheType?: KvCacheType;
    /** Default true (f16 KV + flash attention is the product default). */
    flashAttention?: boolean;
    /** llama.cpp n_gpu_layers: 0 = CPU only; layers + 1 (default) = everything incl. the output head. */
    gpuLayers?: number;
    /** Micro-batch for prompt evaluation (default min(512, context x sequences)). */
    ubatch?: number;
    /** KV sequences of the context (each holds `contextSize` tokens; default 1). */
    sequences?: number;
    /**
     * Separate llama.cpp contexts of this size (default 1). The local engine gives each session kind in use
     * (completion, chat) its own context: each has its own KV cache and compute buffer.
     */
    contexts?: number;
    /** False for a CPU-only machine: no runtime overhead, everything in RAM. */
    gpu?: boolean;
}

export interface MemorySplit { weights: number; kvCache: number; compute: number; overhead: number; total: number }

export interface Estimate {
    vram: MemorySplit;
    ram: MemorySplit;
    /** Context after llama.cpp's padding (per sequence). */
    contextSize: number;
    gpuLayers: number;
    /** Repeating layers on the GPU. */
    offloadedLayers: number;
    outputOnGpu: boolean;
    kvBytesPerToken: number;
    /** Set beyond the native context: the RoPE scaling needed (YaRN). */
    yarnFactor?: number;
}

const pad = (n: number, to: number): number => Math.ceil(n / to) * to;

/** KV bytes per token for one layer. */
export function kvBytesPerTokenPerLayer(shape: ModelShape, type: KvCacheType = "f16"): number {
    return shape.kvHeads * (shape.headDimK + shape.headDimV) * kvBytesPerElement(type);
}

/** Compute-buffer peak for the layers/output held by one device (see the module doc); `gpu`: a GPU device (default: the CPU). */
export function computeBufferBytes(shape: ModelShape, o: { ubatch: number; nKv: number; flashAttention: boolean; layers: boolean; output: boolean; gpu?: boolean }): number {
    const f32 = 4;
    let layerPhase = 0;
    if (o.layers) {
        const ffnPhase = o.ubatch * f32 * (3 * shape.ffn + 2 * shape.embedding);
        if (o.flashAttention) layerPhase = o.ubatch * o.nKv * 2 + ffnPhase;
        else {
            const scores = o.ubatch * o.nKv * shape.heads * f32 + o.ubatch * o.nKv * f32;
            const attn = o.ubatch * f32 * (3 * shape.embedding + 2 * shape.heads * shape.headDimK + 2 * shape.kvHeads * shape.headDimK);
            layerPhase = Math.max(scores + attn, o.ubatch * o.nKv * f32 + ffnPhase);
        }
    }
    // logits + the normed hidden state (+ one more embedding-wide activation in the CPU graph; see the module doc)
    const outputPhase = o.output ? o.ubatch * f32 * (shape.vocab + (o.gpu ? 1 : 2) * shape.embedding) : 0;
    return Math.max(layerPhase, outputPhase);
}

export function yarnFactorFor(contextSize: number, trainContext: number): number | undefined {
    return contextSize > trainContext ? YARN_FACTOR : undefined;
}

export function estimate(input: EstimateInput): Estimate {
    const { shape } = input;
    const gpu = input.gpu ?? true;
    const kvType = input.kvCacheType ?? "f16";
    const flashAttention = input.flashAttention ?? true;
    if (kvType !== "f16" && !flashAttention) throw new RangeError("a quantized KV cache needs flash attention");
    if (kvType === "q8_0" && (shape.headDimK % 32 !== 0 || shape.headDimV % 32 !== 0))
        throw new RangeError(`a q8_0 KV cache needs head dimensions divisible by 32 (this model: ${shape.headDimK})`);
    const sequences = Math.max(1, input.sequences ?? 1);
    const contexts = Math.max(1, Math.floor(input.contexts ?? 1));
    const ctx = pad(Math.max(1, input.contextSize), CONTEXT_PAD);
    const nKv = ctx * sequences;
    const ubatch = input.ubatch ?? Math.min(DEFAULT_UBATCH, nKv);
    const gpuLayers = gpu ? Math.max(0, Math.min(input.gpuLayers ?? shape.layers + 1, shape.layers + 1)) : 0;
    const offloaded = Math.min(gpuLayers, shape.layers);
    const firstGpuLayer = shape.layers - offloaded;
    const outputOnGpu = gpuLayers > shape.layers;

    let gpuWeights = 0;
    for (let i = firstGpuLayer; i < shape.layers; i++) gpuWeights += shape.layerBytes[i] ?? 0;
    if (outputOnGpu) gpuWeights += shape.outputBytes;
    const cpuWeights = shape.fileBytes - gpuWeights;

    const kvLayer = kvBytesPerTokenPerLayer(shape, kvType);
    const gpuKv = offloaded * kvLayer * nKv * contexts;
    const cpuKv = (shape.layers - offloaded) * kvLayer * nKv * contexts;

    const opts = { ubatch, nKv, flashAttention };
    let gpuCompute = offloaded > 0 || outputOnGpu ? computeBufferBytes(shape, { ...opts, layers: offloaded > 0, output: outputOnGpu, gpu: true }) : 0;
    if (gpuLayers > 0 && !outputOnGpu) {
        // op offload: large-batch matmuls on CPU-resident weights run on the GPU with the weight copied over
        const cpuLayers = shape.layers - offloaded;
        gpuCompute += Math.max(shape.outputBytes, cpuLayers > 0 ? shape.largestLayerTensorBytes : 0);
    }
    gpuCompute *= contexts;
    const cpuCompute = contexts * (offloaded < shape.layers || !outputOnGpu
        ? computeBufferBytes(shape, { ...opts, layers: offloaded < shape.layers, output: !outputOnGpu })
        : 0);
    // host output buffer (logits for every token of a batch) lives in RAM whatever the offload
    const outputBuffer = contexts * shape.vocab * Math.max(ubatch, sequences) * 4;

    const overhead = gpuLayers > 0 ? GPU_RUNTIME_OVERHEAD + contexts * GPU_CONTEXT_OVERHEAD : 0;
    const vram: MemorySplit = { weights: gpuWeights, kvCache: gpuKv, compute: gpuCompute, overhead, total: gpuWeights + gpuKv + gpuCompute + overhead };
    const ram: MemorySplit = { weights: cpuWeights, kvCache: cpuKv, compute: cpuCompute, overhead: outputBuffer, total: cpuWeights + cpuKv + cpuCompute + outputBuffer };
    const result: Estimate = { vram, ram, contextSize: ctx, gpuLayers, offloadedLayers: offloaded, outputOnGpu, kvBytesPerToken: kvLayer * shape.layers };
    const yarn = yarnFactorFor(input.contextSize, shape.trainContext);
    if (yarn !== undefined) result.yarnFactor = yarn;
    return result;
}

/**
 * The most GPU layers (llama.cpp n_gpu_layers, 0..layers+1) whose VRAM total fits `budget` bytes at this
 * context; 0 when not even one layer fits.
 */
export function maxGpuLayers(input: Omit<EstimateInput, "gpuLayers">, budget: number): number {
    for (let n = input.shape.layers + 1; n > 0; n--) if (estimate({ ...input, gpuLayers: n }).vram.total <= budget) return n;
    return 0;
}

/**
 * node-llama-cpp `metadataOverrides` for a context beyond the native one: YaRN x4. The factor is sent as
 * 4.000001, not 4: a whole JS number goes over as an int and llama.cpp rejects it for the float key.
 */
export function yarnMetadataOverrides(architecture: string, trainContext: number, contextSize: number): Record<string, unknown> | undefined {
    const factor = yarnFactorFor(contextSize, trainContext);
    if (factor === undefined) return undefined;
    return { [architecture]: { rope: { scaling: { type: "yarn", factor: factor + 0.000001, original_context_length: trainContext } } } };
}
