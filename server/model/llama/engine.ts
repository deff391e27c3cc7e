/**
 * The node-llama-cpp runtime, shared by the whole process: the ESM module (loaded with `await import()`, the
 * server is bundled as cjs) and one `Llama` instance per GPU choice, created once (cached promise) with
 * `build: "never"` (prebuilt binaries only; building needs a compiler and minutes). llama.cpp's log lines go to
 * the sinks registered with `onLlamaLog` (the model host forwards them to the client's log), or to stderr:
 * never to stdout, which carries LSP over stdio.
 */
import * as os from "node:os";
import type { Llama } from "node-llama-cpp";

export type NodeLlamaCpp = typeof import("node-llama-cpp");
/** "auto": CUDA/Vulkan/Metal when usable, else CPU; a backend name: that one or an error; false: CPU. */
export type GpuChoice = "auto" | "cuda" | "vulkan" | "metal" | false;
export type LlamaLogSink = (level: "error" | "warn" | "info" | "debug", message: string) => void;

let modulePromise: Promise<NodeLlamaCpp> | undefined;
const llamaPromises = new Map<string, Promise<Llama>>();
const sinks = new Set<LlamaLogSink>();

export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
    modulePromise ??= import("node-llama-cpp");
    return modulePromise;
}

/** The process-wide `Llama` for a GPU choice ("auto": CUDA/Vulkan/Metal when usable, else CPU). */
export function getSharedLlama(gpu: GpuChoice = "auto"): Promise<Llama> {
    const key = String(gpu);
    let p = llamaPromises.get(key);
    if (!p) {
        p = (async () => {
            const nlc = await loadNodeLlamaCpp();
            return nlc.getLlama({
                gpu,
                build: "never",
                // One pool of threads for the whole process, sized to the real cores: contexts (completion, chat)
                // evaluating at the same time share it instead of each taking every core (node-llama-cpp's own
                // CPU default is max(cores, 4): ~500x slower on a 2-core machine).
                maxThreads: os.availableParallelism(),
                logLevel: nlc.LlamaLogLevel.warn,
                logger: (level, message) => forwardLog(level, message),
                // Prebuilt binaries are used as they are: no "fall back to building from source" prompts.
                progressLogs: false,
            });
        })();
        // A failed getLlama is not cached: the next load may succeed (e.g. after a driver install).
        p.catch(() => llamaPromises.delete(key));
        llamaPromises.set(key, p);
    }
    return p;
}

/** Receive llama.cpp's log lines (warn and above). Returns a disposer. */
export function onLlamaLog(sink: LlamaLogSink): { dispose(): void } {
    sinks.add(sink);
    return { dispose: () => void sinks.delete(sink) };
}

function forwardLog(level: string, message: string): void {
    const text = message.trimEnd();
    if (!text) return;
    const mapped = level === "error" || level === "fatal" ? "error" : level === "warn" ? "warn" : level === "info" ? "info" : "debug";
    if (sinks.size === 0) {
        process.stderr.write(`[node-llama-cpp] ${text}\n`);
        return;
    }
    for (const s of sinks) s(mapped, text);
}

/** Threads from settings: a number as given (at least 1), "auto" = the cores really available here. */
export function resolveThreads(threads: "auto" | number): number {
    if (threads === "auto") return Math.max(1, os.availableParallelism());
    return Math.max(1, Math.floor(threads));
}

const GPU_NAMES: Record<string, string> = { cuda: "CUDA", vulkan: "Vulkan", metal: "Metal" };

/** One sentence for the status bar: backend, layers offloaded, device, threads, context. */
export function deviceSentence(o: {
    gpu: string | false;
    gpuLayers: number;
    totalLayers: number;
    deviceNames: readonly string[];
    threads: number;
    contextSize: number;
}): string {
    const ctx = `${o.contextSize} context`;
    const on = o.deviceNames.length ? ` on ${o.deviceNames.join(", ")}` : "";
    if (o.gpu === false) return `CPU, ${o.threads} threads, ${ctx}`;
    const backend = GPU_NAMES[o.gpu] ?? o.gpu;
    if (o.gpuLayers <= 0) return `CPU, ${o.threads} threads (${backend}${on} unused: 0/${o.totalLayers} layers), ${ctx}`;
    if (o.gpuLayers < o.totalLayers) {
        return `${backend}, ${o.gpuLayers}/${o.totalLayers} layers${on}, the rest on CPU with ${o.threads} threads, ${ctx}`;
    }
    return `${backend}, ${o.gpuLayers}/${o.totalLayers} layers${on}, ${ctx}`;
}

const MEMORY_MESSAGE = /insufficient memory|too large for the available|out of memory|bad_alloc|failed to allocate|cudaMalloc|OutOfDeviceMemory|unable to allocate/i;

/** Whether an engine error means "not enough VRAM/RAM" (so a smaller configuration may work). */
export function isMemoryError(nlc: NodeLlamaCpp | undefined, error: unknown): boolean {
    if (nlc && error instanceof nlc.InsufficientMemoryError) return true;
    return error instanceof Error && MEMORY_MESSAGE.test(error.message);
}
