/**
 * The first-run chooser: from the detected GPUs and free memory, pick the model variant, context size and GPU
 * layers that fit with headroom, and say why in one sentence. Pure; the machine facts come in (`machine.ts`
 * reads them through node-llama-cpp).
 *
 * Policy: GLM-4-32B Q4_K_M at the native 32K context, fully on the GPU, is the target (the best balance of
 * speed and quality: Q8_0 decodes ~25% slower for little gain). If it does not fit, the context steps down
 * to 16K, then smaller 32B quantizations at 16K, then 8K. If no 32B fits fully, GLM-4-9B fully on the GPU is
 * recommended over a partially offloaded 32B (whose speed is reported as the alternative). No GPU: GLM-4-9B
 * on the CPU. With room to spare beside the 32B, GLM-4-9B is suggested as the inline completion model (about 2x faster
 * per keystroke on an H100: bench/gpu/results/h100-2026-11-26-second-model-2.json).
 */
import { estimate, maxGpuLayers, GiB, MiB, GPU_RUNTIME_OVERHEAD, type Estimate } from "./calculator";
import { catalogVariant, GLM4_32B, GLM4_9B, type CatalogModel, type CatalogVariant } from "./catalog";
import type { CatalogQuant } from "./quantMix";
import { gpuSpecFor, UNKNOWN_GPU } from "./gpus";
import { estimateSpeed, type DeviceSpeed, type SpeedEstimate } from "./speed";
import type { ModelShape } from "./shape";

export interface MachineInfo {
    /** node-llama-cpp's GPU backend ("cuda" | "vulkan" | "metal"), or false for CPU only. */
    gpuType: string | false;
    gpuNames: string[];
    /** Summed over devices (llama.cpp splits layers across GPUs). */
    vramTotal: number;
    vramFree: number;
    /** Part of `vramFree` that the loaded GLM-4 model holds now (it is replaced by a new choice). */
    heldByModel?: number;
    /** Bytes of unified memory (Apple silicon): VRAM is RAM. */
    unifiedMemory: number;
    ramTotal: number;
    ramFree: number;
    cpuCores: number;
}

export interface Plan {
    uri: string;
    modelId: string;
    displayName: string;
    quant: string;
    contextSize: number;
    /** llama.cpp n_gpu_layers (layers + 1 = everything, 0 = CPU only). */
    gpuLayers: number;
    fullOffload: boolean;
    kvCacheType: "f16";
    flashAttention: true;
    estimate: Estimate;
    speed: SpeedEstimate;
}

export interface Choice extends Plan {
    /** One sentence: what was chosen and why. */
    explanation: string;
    /** The other reasonable option (e.g. a partial offload of the 32B). */
    alternative?: Plan & { note: string };
    /** GLM-4-9B as the inline completion model (`glm4.completionModel`), when it fits beside the main one. */
    completionModel?: Plan;
    /** Bytes kept free on the GPU. */
    headroom: number;
}

export interface ChooseOptions {
    /** Bytes to keep free on the GPU (default max(512 MiB, 5% of VRAM)). */
    headroom?: number;
    /** llama.cpp contexts the engine creates at this size (the local engine: one per session kind in use; default 1). */
    contexts?: number;
}

const fmtGiB = (b: number): string => `${(b / GiB).toFixed(1)} GiB`;
const fmtTokS = (t: number): string => (t >= 10 ? Math.round(t).toString() : t.toFixed(1));
const ctxLabel = (c: number): string => `${Math.round(c / 1024)}K`;

export function deviceSpeedOf(machine: MachineInfo): DeviceSpeed | undefined {
    if (!machine.gpuType) return undefined;
    const name = machine.gpuNames[0] ?? "GPU";
    const spec = gpuSpecFor(name);
    return spec ? { label: name, bandwidthGBs: spec.bandwidthGBs, fp16Tflops: spec.fp16Tflops } : { label: name, ...UNKNOWN_GPU };
}

function defaultHeadroom(machine: MachineInfo): number {
    return Math.max(512 * MiB, 0.05 * machine.vramTotal);
}

function plan(model: CatalogModel, v: CatalogVariant, contextSize: number, gpuLayers: number, machine: MachineInfo, contexts = 1): Plan {
    const gpu = !!machine.gpuType && gpuLayers > 0;
    const e = estimate({ shape: v.shape, contextSize, gpuLayers, gpu, contexts });
    return {
        uri: v.uri, modelId: model.id, displayName: model.displayName, quant: v.quant, contextSize, gpuLayers: e.gpuLayers,
        fullOffload: e.outputOnGpu, kvCacheType: "f16", flashAttention: true, estimate: e,
        speed: estimateSpeed(model, v.shape, e, gpu ? deviceSpeedOf(machine) : undefined),
    };
}

/** The first (quant, context) of `ladder` that fits fully on the GPU within `budget`. */
function firstFullFit(model: CatalogModel, ladder: readonly (readonly [CatalogQuant, number])[], budget: number, machine: MachineInfo, contexts: number): Plan | undefined {
    for (const [quant, ctx] of ladder) {
        const v = catalogVariant(model, quant);
        const p = plan(model, v, ctx, v.shape.layers + 1, machine, contexts);
        if (p.estimate.vram.total <= budget && p.estimate.ram.total <= machine.ramTotal * 0.9) return p;
    }
    return undefined;
}

const LADDER_32B = [
    ["Q4_K_M", 32768], ["Q4_K_M", 16384], ["Q4_K_S", 16384], ["Q3_K_L", 16384], ["Q3_K_M", 16384], ["Q4_K_M", 8192], ["Q3_K_M", 8192], ["Q3_K_S", 8192],
] as const;
const LADDER_9B = [["Q4_K_M", 32768], ["Q4_K_M", 16384], ["Q4_K_M", 8192], ["Q3_K_M", 8192], ["Q3_K_M", 4096], ["Q2_K", 4096]] as const;

function gpuLabel(machine: MachineInfo): string {
    return machine.gpuNames.length ? machine.gpuNames.join(" + ") : `${machine.gpuType} GPU`;
}

export function chooseModel(machine: MachineInfo, options: ChooseOptions = {}): Choice {
    const headroom = options.headroom ?? defaultHeadroom(machine);
    const n = Math.max(1, options.contexts ?? 1);
    const budget = machine.gpuType ? Math.max(0, machine.vramFree - headroom) : 0;
    const where = machine.gpuType ? `the ${fmtGiB(machine.vramFree)} free on your ${gpuLabel(machine)}` : "";

    if (budget > 0) {
        const main = firstFullFit(GLM4_32B, LADDER_32B, budget, machine, n);
        if (main) {
            const spare = budget - main.estimate.vram.total;
            const completionPlan = plan(GLM4_9B, catalogVariant(GLM4_9B, "Q4_K_M"), 8192, GLM4_9B.arch.layers + 1, machine);
            const choice: Choice = {
                ...main, headroom,
                explanation: `${main.displayName} ${main.quant} with a ${ctxLabel(main.contextSize)} context fits fully in ${where} (needs ${fmtGiB(main.estimate.vram.total)}), at about ${fmtTokS(main.speed.decodeTokS)} tokens/s.`,
            };
            if (completionPlan.estimate.vram.total - GPU_OVERHEAD_SHARED <= spare) choice.completionModel = completionPlan;
            return choice;
        }
        const small = firstFullFit(GLM4_9B, LADDER_9B, budget, machine, n);
        const big = catalogVariant(GLM4_32B, "Q4_K_M");
        const layers = maxGpuLayers({ shape: big.shape, contextSize: 16384, contexts: n }, budget);
        const partial = plan(GLM4_32B, big, 16384, layers, machine, n);
        const partialNote = `${GLM4_32B.displayName} Q4_K_M would run ${Math.min(layers, big.shape.layers)} of ${big.shape.layers} layers on the GPU at about ${fmtTokS(partial.speed.decodeTokS)} tokens/s`;
        if (small) {
            return {
                ...small, headroom,
                explanation: `${GLM4_32B.displayName} does not fit in ${where}, so ${small.displayName} ${small.quant} (${ctxLabel(small.contextSize)} context, ${fmtGiB(small.estimate.vram.total)}) runs fully on it at about ${fmtTokS(small.speed.decodeTokS)} tokens/s; ${partialNote}.`,
                alternative: { ...partial, note: partialNote },
            };
        }
        const v9 = catalogVariant(GLM4_9B, "Q4_K_M");
        const l9 = maxGpuLayers({ shape: v9.shape, contextSize: 8192, contexts: n }, budget);
        const p9 = plan(GLM4_9B, v9, 8192, l9, machine, n);
        return {
            ...p9, headroom,
            explanation: `Only ${fmtGiB(budget)} of VRAM is usable, so ${GLM4_9B.displayName} Q4_K_M runs ${Math.min(l9, v9.shape.layers)} of ${v9.shape.layers} layers on the GPU and the rest on the CPU, at about ${fmtTokS(p9.speed.decodeTokS)} tokens/s; ${partialNote}.`,
            alternative: { ...partial, note: partialNote },
        };
    }

    const cpu9 = plan(GLM4_9B, catalogVariant(GLM4_9B, "Q4_K_M"), 8192, 0, machine, n);
    const cpu32 = plan(GLM4_32B, catalogVariant(GLM4_32B, "Q4_K_M"), 8192, 0, machine, n);
    const why = machine.gpuType ? `The GPU has no usable free memory (${fmtGiB(machine.vramFree)} free)` : "No GPU was found";
    return {
        ...cpu9, headroom,
        explanation: `${why}, so ${cpu9.displayName} Q4_K_M runs on the CPU at about ${fmtTokS(cpu9.speed.decodeTokS)} tokens/s (${GLM4_32B.displayName} would manage about ${fmtTokS(cpu32.speed.decodeTokS)}).`,
        alternative: { ...cpu32, note: `${GLM4_32B.displayName} Q4_K_M on the CPU: about ${fmtTokS(cpu32.speed.decodeTokS)} tokens/s` },
    };
}

/** A second model shares the process's GPU runtime: its own overhead is not paid twice. */
const GPU_OVERHEAD_SHARED = GPU_RUNTIME_OVERHEAD;

export interface Fit {
    contextSize: number;
    gpuLayers: number;
    estimate: Estimate;
    explanation: string;
}

/**
 * Context size and GPU layers for a given model (a custom file, or the configured catalog variant) on this
 * machine: the largest context up to `maxContext` (default the native one) that fits fully, else the most
 * layers at 8K (or `maxContext` if smaller). `contextSize`/`gpuLayers` pin either.
 */
export function fitModel(shape: ModelShape, machine: MachineInfo, pin: { contextSize?: number; gpuLayers?: number; maxContext?: number; headroom?: number; contexts?: number } = {}): Fit {
    const headroom = pin.headroom ?? defaultHeadroom(machine);
    const contexts = Math.max(1, pin.contexts ?? 1);
    const budget = machine.gpuType ? Math.max(0, machine.vramFree - headroom) : 0;
    const gpu = !!machine.gpuType;
    const cap = pin.maxContext ?? shape.trainContext;
    const sizes = pin.contextSize ? [pin.contextSize] : [32768, 16384, 8192, 4096, 2048].filter((c) => c <= cap).concat(cap < 2048 ? [cap] : []);
    const name = `${shape.name}`;
    if (pin.gpuLayers !== undefined) {
        const ctx = sizes.find((c) => estimate({ shape, contextSize: c, gpuLayers: pin.gpuLayers, gpu, contexts }).vram.total <= budget) ?? sizes[sizes.length - 1]!;
        const e = estimate({ shape, contextSize: ctx, gpuLayers: pin.gpuLayers, gpu, contexts });
        return { contextSize: ctx, gpuLayers: e.gpuLayers, estimate: e, explanation: `${name}: ${e.gpuLayers} GPU layers as configured, ${ctxLabel(ctx)} context.` };
    }
    if (gpu) {
        for (const c of sizes) {
            const e = estimate({ shape, contextSize: c, gpu, contexts });
            if (e.vram.total <= budget) return { contextSize: c, gpuLayers: e.gpuLayers, estimate: e, explanation: `${name} fits fully on the GPU with a ${ctxLabel(c)} context (${fmtGiB(e.vram.total)} of ${fmtGiB(machine.vramFree)} free).` };
        }
    }
    const ctx = pin.contextSize ?? Math.min(8192, cap);
    const layers = gpu ? maxGpuLayers({ shape, contextSize: ctx, contexts }, budget) : 0;
    const e = estimate({ shape, contextSize: ctx, gpuLayers: layers, gpu, contexts });
    return {
        contextSize: ctx, gpuLayers: layers, estimate: e,
        explanation: layers > 0
            ? `${name} does not fit fully: ${Math.min(layers, shape.layers)} of ${shape.layers} layers on the GPU, the rest on the CPU, ${ctxLabel(ctx)} context.`
            : `${name} runs on the CPU with a ${ctxLabel(ctx)} context.`,
    };
}

