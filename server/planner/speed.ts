/**
 * Expected speed, scaled from GLM4.md's H100 measurements.
 *
 * Decode is memory-bound plus a fixed cost per layer (kernel launches): time per token =
 * bytes read on the GPU / (bandwidth x efficiency) + GPU layers x per-layer time + bytes read from RAM /
 * (RAM bandwidth x 0.6). Efficiency and per-layer time are solved from the two H100 measurements (GLM-4-32B
 * Q4_K_M 82 tok/s and GLM-4-9B Q4_K_M 215 tok/s); other GPUs scale by their memory bandwidth (`gpus.ts`). The KV
 * cache read at a full context is added the same way. Prompt evaluation is compute-bound: it scales with fp16
 * throughput and inversely with parameters; with a partial offload each 512-token batch also copies the
 * CPU-resident weights over PCIe (assumed 25 GB/s). CPU only: `CPU_ASSUMED`. Rough by design (about +-30%).
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

export function estimateSpeed(model: CatalogModel, shape: ModelShape, e: Estimate, device: DeviceSpeed | undefined): SpeedEstimate {
    const m = model.measured;
    const onGpu = device !== undefined && e.gpuLayers > 0;
    const { gpu, cpu } = bytesPerToken(shape, onGpu ? e.offloadedLayers : 0, onGpu && e.outputOnGpu);
    const gpuBw = onGpu ? device.bandwidthGBs * 1e9 * CAL.efficiency : Infinity;
    const cpuBw = CPU_ASSUMED.bandwidthGBs * 1e9 * CPU_EFFICIENCY;
    const gpuLayers = onGpu ? e.offloadedLayers : 0;
    const tWeights = gpu / gpuBw + cpu / cpuBw + gpuLayers * CAL.perLayerS + (shape.layers - gpuLayers) * CPU_PER_LAYER_S;
    const tKv = e.vram.kvCache / gpuBw + e.ram.kvCache / cpuBw;

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
