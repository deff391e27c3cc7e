/**
 * Expected speed, scaled from H100 measurements.
 *
 * Decode is memory-bound plus a fixed cost per layer (kernel launches): time per token =
 * bytes read on the GPU / (bandwidth x efficiency) + GPU layers x per-layer time + bytes read from RAM /
 * (RAM bandwidth x 0.6). Efficiency and per-layer time are solved from two H100 measurements: GLM-4-32B
 * Q4_K_M 72.4 tok/s (bench/gpu/results/h100-2026-11-26.json: node-llama-cpp 3.21.1, CUDA, flash attention,
 * ~2K tokens in the cache; GLM4.md's earlier 82 was another build) and GLM-4-9B Q4_K_M 166 tok/s
 * (bench/gpu/results/h100-2026-11-26-second-model-*.json, same build; GLM4.md's 215 was another). Other GPUs scale by their
 * memory bandwidth (`gpus.ts`). The KV cache read at a full context is added at its own, measured efficiency
 * (`KV_READ_EFFICIENCY`). Prompt evaluation is compute-bound: it scales with fp16 throughput and inversely
 * with parameters; with a partial offload each 512-token batch also copies the CPU-resident weights over PCIe
 * (assumed 25 GB/s). CPU only: `CPU_ASSUMED`. Rough by design (about +-30%; worse away from the H100).
 */
import { catalogVariant, GLM4_32B, GLM4_9B, type CatalogModel } from "./catalog";
import type { Estimate } from "./calculator";
import { CPU_ASSUMED } from "./gpus";
import type { ModelShape } from "./shape";

export interface DeviceSpeed { label: string; bandwidthGBs: number; fp16Tflops: number }

export interface SpeedEstimate {
    /** Decode tokens/s with a short context. */
    decodeTokS: number;
    /** Decode tokens/s with the KV cache full (the chosen context). */
    decodeTokSFullContext: number;
    promptTokS: number;
    /** One sentence: what was scaled from what. */
    how: string;
}

const PCIE_BYTES_S = 25e9;
const CPU_EFFICIENCY = 0.6;
const CPU_PER_LAYER_S = 20e-6;

/** Bytes one decoded token reads from the GPU and from RAM (token embeddings: one row only, ignored). */
export function bytesPerToken(shape: ModelShape, offloadedLayers: number, outputOnGpu: boolean): { gpu: number; cpu: number } {
    let gpu = 0, cpu = 0;
    const first = shape.layers - offloadedLayers;
    shape.layerBytes.forEach((b, i) => { if (i >= first) gpu += b; else cpu += b; });
    if (outputOnGpu) gpu += shape.outputBytes; else cpu += shape.outputBytes;
    return { gpu, cpu };
}

export interface Calibration { efficiency: number; perLayerS: number }

/**
 * Solves bytes_a / (bw e) + L_a c = 1/tokS_a and the same for b (two measurements on one device) for the
 * bandwidth efficiency e and the per-layer time c.
 */
export function calibrate(a = GLM4_32B, b = GLM4_9B): Calibration {
    const row = (m: CatalogModel): [number, number, number] => {
        const s = catalogVariant(m, m.measured.quant).shape;
        const { gpu } = bytesPerToken(s, s.layers, true);
        return [gpu / (m.measured.bandwidthGBs * 1e9), s.layers, 1 / m.measured.decodeTokS];
    };
    const [x1, l1, t1] = row(a), [x2, l2, t2] = row(b);
    // x1 * k + l1 * c = t1; x2 * k + l2 * c = t2, k = 1/e
    const det = x1 * l2 - x2 * l1;
    const k = (t1 * l2 - t2 * l1) / det;
    const c = (x1 * t2 - x2 * t1) / det;
    return { efficiency: Math.min(1, 1 / k), perLayerS: Math.max(0, c) };
}

const CAL = calibrate();

/**
 * Decode as the cache fills, H100 2026-11-26 (GLM-4-32B Q4_K_M, f16 KV, flash attention, same file): 72.5 tok/s
 * with ~2,063 tokens in the cache, 67.27 tok/s with ~16,400. 14,337 more tokens x 62,464 B = 0.90 GB more read
 * per token cost 1.07 ms: 837 GB/s, a quarter of the 3,350 GB/s (two KV heads: the attention kernel reads the
 * cache with little parallelism), against 0.46 for the weights.
 */
export const H100_DEEP_DECODE = { bandwidthGBs: 3350, kvBytesPerToken: 62464, shortTokens: 2063, shortTokS: 72.5, deepTokens: 16400, deepTokS: 67.27 } as const;
/** Fraction of the memory bandwidth at which decode reads the KV cache (from `H100_DEEP_DECODE`: 0.25). */
export const KV_READ_EFFICIENCY = ((deep: typeof H100_DEEP_DECODE) =>
    ((deep.deepTokens - deep.shortTokens) * deep.kvBytesPerToken) / ((1 / deep.deepTokS - 1 / deep.shortTokS) * deep.bandwidthGBs * 1e9))(H100_DEEP_DECODE);

export function estimateSpeed(model: CatalogModel, shape: ModelShape, e: Estimate, device: DeviceSpeed | undefined): SpeedEstimate {
    const m = model.measured;
    const onGpu = device !== undefined && e.gpuLayers > 0;
    const { gpu, cpu } = bytesPerToken(shape, onGpu ? e.offloadedLayers : 0, onGpu && e.outputOnGpu);
    const gpuBw = onGpu ? device.bandwidthGBs * 1e9 * CAL.efficiency : Infinity;
    const cpuBw = CPU_ASSUMED.bandwidthGBs * 1e9 * CPU_EFFICIENCY;
    const gpuLayers = onGpu ? e.offloadedLayers : 0;
    const tWeights = gpu / gpuBw + cpu / cpuBw + gpuLayers * CAL.perLayerS + (shape.layers - gpuLayers) * CPU_PER_LAYER_S;
    // one decode reads its own context's cache (the estimate may count several contexts)
    const kvPerLayer = (e.kvBytesPerToken / shape.layers) * e.contextSize;
    const tKv = (gpuLayers * kvPerLayer) / (onGpu ? device.bandwidthGBs * 1e9 * KV_READ_EFFICIENCY : Infinity) + ((shape.layers - gpuLayers) * kvPerLayer) / cpuBw;

    const ref = catalogVariant(model, m.quant).shape;
    let prompt: number;
    if (onGpu) {
        const gpuPrompt = m.promptTokS * (device.fp16Tflops / m.fp16Tflops) * (ref.parameters / shape.parameters);
        prompt = 1 / (1 / gpuPrompt + cpu / (PCIE_BYTES_S * 512));
    } else {
        prompt = (CPU_ASSUMED.gflops * 1e9) / (2 * shape.parameters);
    }
    const how = onGpu
        ? `Scaled from ${m.device} measurements (GLM-4-32B Q4_K_M ${GLM4_32B.measured.decodeTokS} tok/s, GLM-4-9B ${GLM4_9B.measured.decodeTokS} tok/s decode) by memory bandwidth (${device.bandwidthGBs} vs ${m.bandwidthGBs} GB/s) and fp16 throughput` +
          (cpu > 0 ? `, with ${(cpu / 1e9).toFixed(1)} GB read from RAM per token at an assumed ${CPU_ASSUMED.bandwidthGBs} GB/s.` : ".")
        : `From RAM bandwidth (assumed ${CPU_ASSUMED.bandwidthGBs} GB/s) over ${(cpu / 1e9).toFixed(1)} GB read per token.`;
    return { decodeTokS: 1 / tWeights, decodeTokSFullContext: 1 / (tWeights + tKv), promptTokS: prompt, how };
}
