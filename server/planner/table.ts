/**
 * The requirements table (quantization x context) shared by the webview and `node out/cli.js plan`.
 */
import type { DetectedGpus, RequirementsResult, RequirementsRow } from "../protocol/planner";
import { estimate, GPU_RUNTIME_OVERHEAD, GiB, type Estimate } from "./calculator";
import { catalogVariants, GLM4_HEADER_BYTES_ESTIMATE } from "./catalog";
import { chooseModel, type MachineInfo } from "./chooser";
import { GPU_CLASSES, usableBytesOfClass } from "./gpus";
import type { KvCacheType } from "./ggml";
import type { ModelShape } from "./shape";

export const DEFAULT_CONTEXTS = [4096, 8192, 16384, 32768, 65536, 131072];
export const MIN_CONTEXT = 1024;
export const MAX_CONTEXT = 131072;

export interface TableOptions {
    contexts?: number[];
    kvCacheType?: KvCacheType;
    flashAttention?: boolean;
    headroom?: number;
    /** llama.cpp contexts the engine creates per model (each with its own KV cache and compute buffer; default 1). */
    engineContexts?: number;
}

export function detectedOf(m: MachineInfo): DetectedGpus {
    const d: DetectedGpus = { gpuType: m.gpuType, names: m.gpuNames, vramTotal: m.vramTotal, vramFree: m.vramFree, ramTotal: m.ramTotal, ramFree: m.ramFree, cpuCores: m.cpuCores };
    if (m.heldByModel) d.heldByModel = m.heldByModel;
    return d;
}

const split = (s: Estimate["vram"]) => ({ weights: s.weights, kvCache: s.kvCache, compute: s.compute, overhead: s.overhead, total: s.total });

export function validateContexts(contexts: readonly number[]): string | undefined {
    for (const c of contexts) if (!Number.isInteger(c) || c < MIN_CONTEXT || c > MAX_CONTEXT) return `context ${c} is outside ${MIN_CONTEXT}..${MAX_CONTEXT}`;
    return undefined;
}

function row(shape: ModelShape, meta: Pick<RequirementsRow, "uri" | "modelName" | "quant" | "fileBytes" | "sizeSource">, machine: MachineInfo, o: Required<Omit<TableOptions, "headroom">> & { headroom: number }): RequirementsRow {
    const budget = machine.gpuType ? machine.vramFree - o.headroom : 0;
    const classes = GPU_CLASSES.map((c) => usableBytesOfClass(c.vramGB));
    return {
        ...meta, recommended: false,
        cells: o.contexts.map((contextSize) => {
            const e = estimate({ shape, contextSize, kvCacheType: o.kvCacheType, flashAttention: o.flashAttention, contexts: o.engineContexts });
            const cell: RequirementsRow["cells"][number] = {
                contextSize, vram: split(e.vram), ram: split(e.ram),
                fitsClasses: classes.map((usable) => e.vram.total <= usable),
            };
            if (e.yarnFactor !== undefined) cell.yarnFactor = e.yarnFactor;
            if (machine.gpuType) cell.fitsDetected = e.vram.total <= budget;
            return cell;
        }),
    };
}

export const TABLE_NOTES = [
    "Required VRAM = weights of the offloaded layers (exact tensor bytes by type; token embeddings stay in RAM) + KV cache (layers x context x KV heads x head dim x 2 x bytes of the cache type) + compute buffers (llama.cpp's graph peak at batch 512) + GPU runtime overhead (" + Math.round(GPU_RUNTIME_OVERHEAD / 2 ** 20) + " MiB).",
    "All layers on the GPU, flash attention on. Contexts beyond the native 32K use YaRN x4 (RoPE scaling); only their KV cache and attention mask cost more memory.",
    "Catalog file sizes: GLM-4-32B Q4_K_M (19.67 GB) and Q8_0 (~34.6 GB) are the published sizes; the others are derived from llama.cpp's quantization rules (bits per weight of each tensor's type), with a " + Math.round(GLM4_HEADER_BYTES_ESTIMATE / 1e6) + " MB header estimate.",
    "\"Fits\" keeps headroom free on the detected GPU; the GPU classes assume 0.5 GiB taken by the driver and desktop.",
];

/** The catalog table, or one row for a GGUF read from a file or URL (`shape` given). */
export function requirementsTable(machine: MachineInfo, opts: TableOptions = {}, file?: { shape: ModelShape; uri: string }): RequirementsResult {
    const o = {
        contexts: opts.contexts ?? DEFAULT_CONTEXTS,
        kvCacheType: opts.kvCacheType ?? "f16",
        flashAttention: opts.flashAttention ?? true,
        headroom: opts.headroom ?? Math.max(512 * 2 ** 20, 0.05 * machine.vramTotal),
        engineContexts: Math.max(1, opts.engineContexts ?? 1),
    } as const;
    const bad = validateContexts(o.contexts);
    if (bad) throw new RangeError(bad);
    const result: RequirementsResult = {
        contexts: [...o.contexts], kvCacheType: o.kvCacheType, flashAttention: o.flashAttention, engineContexts: o.engineContexts,
        nativeContext: file?.shape.trainContext ?? 32768,
        detected: detectedOf(machine), headroom: o.headroom,
        classes: GPU_CLASSES.map((c) => ({ label: c.label, example: c.example, usableBytes: usableBytesOfClass(c.vramGB) })),
        rows: [],
        notes: o.engineContexts > 1
            ? [...TABLE_NOTES, `The engine keeps ${o.engineContexts} contexts of this size per model (completion and chat each have their own): their KV caches and compute buffers are counted ${o.engineContexts} times.`]
            : TABLE_NOTES,
    };
    if (file) {
        result.notes = result.notes.filter((n) => !n.startsWith("Catalog file sizes"));
        result.rows.push(row(file.shape, { uri: file.uri, modelName: file.shape.name, quant: file.shape.quant ?? "?", fileBytes: file.shape.fileBytes, sizeSource: "file" }, machine, o));
        return result;
    }
    const choice = chooseModel(machine, { headroom: o.headroom, contexts: o.engineContexts });
    for (const v of catalogVariants()) {
        const r = row(v.shape, { uri: v.uri, modelName: v.model.displayName, quant: v.quant, fileBytes: v.fileBytes, sizeSource: v.sizeSource }, machine, o);
        r.recommended = v.uri === choice.uri;
        result.rows.push(r);
    }
    result.recommended = { uri: choice.uri, contextSize: choice.contextSize, gpuLayers: choice.gpuLayers, explanation: choice.explanation };
    return result;
}

export const fmtGiB = (b: number): string => (b / GiB).toFixed(1);
