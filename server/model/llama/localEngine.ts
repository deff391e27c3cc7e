/**
 * The "local" engine loader used by the model host: resolve the `glm4.model` setting to a file (download for
 * `hf:` URIs), check the GGUF header, then load with node-llama-cpp, stepping down when memory runs out:
 * the configured GPU layers/context first, then fewer GPU layers ("auto" fitting), then a context that fits
 * ("auto"), then CPU only. Only memory failures step down; any other error ends the load at once.
 */
import type { Auto, Glm4Settings } from "../../protocol/settings";
import { glm4Error } from "../../protocol/errors";
import type { Logger } from "../../logger";
import type { LanguageModel } from "../languageModel";
import { loadLlamaModel } from "../llamaModel";
import { validateModelFile } from "../validate";
import { isRemoteModel, resolveModelPath } from "../download/resolve";
import { isMemoryError, loadNodeLlamaCpp, type GpuChoice } from "./engine";
// planner helper: zero-setup first run (server/planner/firstRun.ts)
import { planFirstRun } from "../../planner/firstRun";
import { detectMachine } from "../../planner/machine";
import type { MachineInfo } from "../../planner/chooser";
import { yarnMetadataOverrides } from "../../planner/calculator";

export interface LoadProgress {
    state: "downloading" | "loading";
    /** 0..1 within the state. */
    fraction: number;
    message: string;
}

export interface EngineLoadRequest {
    settings: Glm4Settings;
    signal: AbortSignal;
    storagePath: string;
    log: Logger;
    report(progress: LoadProgress): void;
}

export interface EngineLoadResult {
    model: LanguageModel;
    /** Said once when the model loaded with less than asked (memory step-down). */
    notice?: string;
}

export type EngineLoader = (request: EngineLoadRequest) => Promise<EngineLoadResult>;

export interface LoadPlan {
    gpuLayers: Auto<number>;
    contextSize: Auto<number>;
}

/** The configurations to try, in order, when memory runs out (pure). */
export function memoryFallbackPlans(gpuLayers: Auto<number>, contextSize: Auto<number>): LoadPlan[] {
    const plans: LoadPlan[] = [{ gpuLayers, contextSize }];
    const fewerLayers: Auto<number> = typeof gpuLayers === "number" && gpuLayers > 0 ? "auto" : gpuLayers;
    plans.push({ gpuLayers: fewerLayers, contextSize });
    plans.push({ gpuLayers: fewerLayers, contextSize: "auto" });
    plans.push({ gpuLayers: 0, contextSize: "auto" });
    const seen = new Set<string>();
    return plans.filter((p) => {
        const k = `${p.gpuLayers}|${p.contextSize}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
    });
}

export function describePlan(p: LoadPlan): string {
    const layers = p.gpuLayers === "auto" ? "as many GPU layers as fit" : p.gpuLayers === 0 ? "CPU only" : `${p.gpuLayers} GPU layers`;
    const ctx = p.contextSize === "auto" ? "the largest context that fits" : `a ${p.contextSize}-token context`;
    return `${layers} and ${ctx}`;
}

export interface LocalEngineOptions {
    gpu?: GpuChoice;
    /** Test hook: runs before each load attempt and may throw (e.g. a simulated out-of-memory). */
    beforeAttempt?: (plan: LoadPlan, attempt: number) => void | Promise<void>;
    /** The machine's GPUs and memory for the first-run planner (default: node-llama-cpp's view, `gpu`). */
    probe?: () => Promise<MachineInfo>;
}

export function localEngine(options: LocalEngineOptions = {}): EngineLoader {
    return async ({ settings: configured, signal, storagePath, log, report }) => {
        // planner helper: pristine default settings -> the model this machine can run, said once (the notice)
        const planned = await planFirstRun(configured, { storagePath, log, probe: options.probe ?? (() => detectMachine(options.gpu ?? "auto")) });
        const settings = planned.settings;
        const withPlan = (r: EngineLoadResult): EngineLoadResult => {
            const notice = [planned.notice, r.notice].filter(Boolean).join("; ");
            return notice ? { ...r, notice } : r;
        };
        const remote = isRemoteModel(settings.model);
        if (remote) report({ state: "downloading", fraction: 0, message: `Downloading ${settings.model}` });
        const path = await resolveModelPath(settings.model, {
            storagePath, signal,
            onProgress: (fraction, detail) => report({ state: "downloading", fraction, message: `Downloading ${settings.model}: ${detail}` }),
        });
        signal.throwIfAborted();
        report({ state: "loading", fraction: 0, message: `Checking ${path}` });
        const { warnings, summary } = await validateModelFile(path);
        for (const w of warnings) log.warn(w);
        const nlc = await loadNodeLlamaCpp();
        const plans = memoryFallbackPlans(settings.gpuLayers, settings.contextSize);
        const failures: string[] = [];
        for (let i = 0; i < plans.length; i++) {
            const plan = plans[i]!;
            signal.throwIfAborted();
            try {
                await options.beforeAttempt?.(plan, i);
                // planner helper: beyond the native context, YaRN x4 (factor sent as a float: 4.000001)
                const yarn = typeof plan.contextSize === "number" && summary.trainContextSize
                    ? yarnMetadataOverrides(summary.architecture, summary.trainContextSize, plan.contextSize) : undefined;
                if (yarn) log.info(`Model: a ${plan.contextSize}-token context is beyond the native ${summary.trainContextSize}: YaRN x4 RoPE scaling.`);
                const model = await loadLlamaModel({
                    modelPath: path, gpuLayers: plan.gpuLayers, contextSize: plan.contextSize, threads: settings.threads, signal,
                    ...(yarn ? { metadataOverrides: yarn } : {}),
                    ...(options.gpu !== undefined ? { gpu: options.gpu } : {}),
                    onProgress: (fraction) => report({ state: "loading", fraction, message: `Loading ${path}` }),
                });
                if (i === 0) return withPlan({ model });
                const notice = `not enough memory for ${describePlan(plans[0]!)}; loaded with ${describePlan(plan)}`;
                log.warn(`Model: ${notice} (${failures.join("; ")}).`);
                return withPlan({ model, notice });
            } catch (e) {
                if (signal.aborted) throw signal.reason;
                const usedGpu = plan.gpuLayers !== 0;
                const memory = isMemoryError(nlc, e) || (usedGpu && /Failed to (load model|create context)/i.test((e as Error).message));
                if (!memory) {
                    throw glm4Error("BadModel", `llama.cpp could not load ${path}: ${(e as Error).message}. The file passed the GGUF ` +
                        `checks; it may use an architecture or tensor type this llama.cpp does not support.`, path);
                }
                failures.push(`${describePlan(plan)}: ${(e as Error).message}`);
            }
        }
        throw glm4Error("OutOfMemory", `Not enough memory to load ${path}, even on the CPU with the smallest context ` +
            `(${failures.join("; ")}). Close programs that use the GPU or RAM, choose a smaller quantization, or lower glm4.contextSize.`, path);
    };
}
