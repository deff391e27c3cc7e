/**
 * Reads this machine's facts for the chooser through node-llama-cpp: the GPU backend, device names and free
 * VRAM (`getVramState`, `getGpuDeviceNames` of the process-wide `Llama`), RAM and cores. Also reads a GGUF's
 * header (local file, http(s) URL, or a resolved hf: URL) into a `ModelShape`.
 */
import * as os from "node:os";
import type { MachineInfo } from "./chooser";
import { getSharedLlama, loadNodeLlamaCpp, type GpuChoice } from "../model/llama/engine";
import { GPU_CUDA_CONTEXT } from "./calculator";
import { shapeFromGgufInfo, type GgufInfoLike, type ModelShape } from "./shape";

export type MachineProbe = () => Promise<MachineInfo>;

/** RAM and CPU only (no GPU), for CPU-only machines and tests. */
export function cpuOnlyMachine(): MachineInfo {
    return {
        gpuType: false, gpuNames: [], vramTotal: 0, vramFree: 0, unifiedMemory: 0,
        ramTotal: os.totalmem(), ramFree: os.freemem(), cpuCores: os.availableParallelism(),
    };
}

/** The real machine: node-llama-cpp's GPU backend of choice (`gpu`), its VRAM state and device names. */
export async function detectMachine(gpu: GpuChoice = "auto"): Promise<MachineInfo> {
    const base = cpuOnlyMachine();
    const llama = await getSharedLlama(gpu);
    if (llama.gpu === false) return base;
    const [vram, names] = await Promise.all([llama.getVramState(), llama.getGpuDeviceNames()]);
    // Free VRAM is read after getLlama created this process's CUDA context, which the estimate counts again
    // (GPU_CUDA_CONTEXT, inside GPU_RUNTIME_OVERHEAD): hand it back so it is not subtracted twice.
    const ownContext = llama.gpu === "cuda" ? Math.min(GPU_CUDA_CONTEXT, vram.used) : 0;
    return {
        ...base, gpuType: llama.gpu, gpuNames: names, vramTotal: vram.total,
        vramFree: Math.min(vram.total, vram.free + ownContext), unifiedMemory: vram.unifiedSize,
    };
}

/** Reads a GGUF header (a path or an http(s) URL: node-llama-cpp fetches only the header, by ranges). */
export async function readModelShape(pathOrUrl: string, signal?: AbortSignal): Promise<ModelShape> {
    const nlc = await loadNodeLlamaCpp();
    // the vocabulary size comes from token_embd's shape: the tokenizer arrays need not be read (or fetched)
    const info = await nlc.readGgufFileInfo(pathOrUrl, {
        ...(signal ? { signal } : {}), logWarnings: false,
        ignoreKeys: ["tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.merges", "tokenizer.ggml.scores"],
    });
    const name = pathOrUrl.split(/[\\/?#]/).filter(Boolean).find((p) => /\.gguf$/i.test(p))?.replace(/\.gguf$/i, "") ?? "model";
    return shapeFromGgufInfo(info as unknown as GgufInfoLike, name);
}
