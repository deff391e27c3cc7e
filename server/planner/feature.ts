/**
 * PlannerFeature: the GPU requirements table, the model chooser and the model store over LSP
 * (server/protocol/planner.ts). Reads the machine through node-llama-cpp (injectable for tests).
 */
import * as path from "node:path";
import { LSPErrorCodes, ResponseError, type CancellationToken } from "vscode-languageserver";
import type { Feature, ServerContext } from "../feature";
import { glm4Error } from "../protocol/errors";
import {
    ChooseModelRequest, DeleteModelRequest, ListModelsRequest, RequirementsRequest, type ChoiceOption, type ChooseResult,
    type ListModelsResult, type RequirementsParams, type RequirementsResult,
} from "../protocol/planner";
import type { Glm4Settings } from "../protocol/settings";
import { expandLocalPath, isRemoteModel } from "../model/download/resolve";
import { formatHfRef, parseHfUri } from "../model/download/hfUri";
import { resolveHubFiles } from "../model/download/hub";
import { deleteStoredModel, findDownloaded, isInStore, listStoredModels } from "../model/download/store";
import { statfsFreeSpace } from "../model/download/downloader";
import { chooseModel, fitModel, type Choice, type MachineInfo, type Plan } from "./chooser";
import { catalogVariant, GLM4_32B, GLM4_9B } from "./catalog";
import { estimate, GiB, GPU_CUDA_CONTEXT } from "./calculator";
import { detectMachine, readModelShape } from "./machine";
import { requirementsTable, validateContexts, detectedOf } from "./table";
import { ENGINE_CONTEXTS, readFirstRunRecord } from "./firstRun";
import type { CatalogQuant } from "./quantMix";

export interface PlannerFeatureOptions {
    /** The machine's GPUs and memory (default: node-llama-cpp, GPU "auto"). */
    probe?: () => Promise<MachineInfo>;
}

const fmt = (b: number): string => `${(b / GiB).toFixed(1)} GiB`;
const tokS = (t: number): string => (t >= 10 ? Math.round(t).toString() : t.toFixed(1));

function toSignal(token: CancellationToken): AbortSignal {
    const c = new AbortController();
    if (token.isCancellationRequested) c.abort();
    token.onCancellationRequested(() => c.abort());
    return c.signal;
}

function cancelled(): ResponseError<unknown> {
    return new ResponseError(LSPErrorCodes.RequestCancelled, "Cancelled.");
}

function option(p: Plan): ChoiceOption {
    const where = p.gpuLayers === 0 ? "on the CPU" : p.fullOffload ? "all layers on the GPU" : `${Math.min(p.gpuLayers, p.estimate.offloadedLayers)} layers on the GPU`;
    return {
        settings: { model: p.uri, contextSize: p.contextSize, gpuLayers: p.gpuLayers },
        label: `${p.displayName} ${p.quant}, ${Math.round(p.contextSize / 1024)}K context, ${where}`,
        detail: `${fmt(p.estimate.vram.total)} VRAM, ${fmt(p.estimate.ram.total)} RAM, about ${tokS(p.speed.decodeTokS)} tokens/s`,
        decodeTokS: p.speed.decodeTokS,
    };
}

export class PlannerFeature implements Feature {
    readonly name = "planner";
    private readonly probe: () => Promise<MachineInfo>;

    constructor(options: PlannerFeatureOptions = {}) {
        this.probe = options.probe ?? (() => detectMachine("auto"));
    }

    register(ctx: ServerContext): void {
        const { connection } = ctx;
        connection.onRequest(RequirementsRequest.type, (params, token) => this.requirements(ctx, params ?? {}, toSignal(token)));
        connection.onRequest(ChooseModelRequest.type, async () => {
            const result = await this.choose(ctx);
            const firstRun = await readFirstRunRecord(ctx.storagePath);
            if (firstRun) result.firstRun = firstRun;
            return result;
        });
        connection.onRequest(ListModelsRequest.type, () => this.list(ctx));
        connection.onRequest(DeleteModelRequest.type, async (params) => {
            const file = typeof params?.path === "string" ? params.path : "";
            if (!isInStore(ctx.storagePath, file)) throw glm4Error("InvalidParams", `Not a model file in the store: ${file}`, file);
            if ((await this.inUsePath(ctx)) === path.resolve(file)) {
                throw glm4Error("Busy", "This model is the one the settings load: choose another model (glm4.model) before deleting it.", file);
            }
            const freedBytes = await deleteStoredModel(ctx.storagePath, file);
            ctx.log.info(`Deleted ${file} (${(freedBytes / 1e9).toFixed(2)} GB).`);
            return { deleted: freedBytes > 0, freedBytes };
        });
    }

    async requirements(ctx: ServerContext, params: RequirementsParams, signal: AbortSignal): Promise<RequirementsResult> {
        if (params.contexts !== undefined) {
            const bad = !Array.isArray(params.contexts) ? "contexts should be a list of numbers" : validateContexts(params.contexts);
            if (bad) throw glm4Error("InvalidParams", bad);
        }
        if (params.kvCacheType !== undefined && params.kvCacheType !== "f16" && params.kvCacheType !== "q8_0") {
            throw glm4Error("InvalidParams", `kvCacheType should be "f16" or "q8_0", got ${JSON.stringify(params.kvCacheType)}`);
        }
        const machine = await this.machine(ctx);
        const opts = {
            contexts: params.contexts, kvCacheType: params.kvCacheType, flashAttention: params.flashAttention !== false, engineContexts: ENGINE_CONTEXTS,
        };
        let file: { shape: Awaited<ReturnType<typeof readModelShape>>; uri: string } | undefined;
        if (params.gguf) {
            const where = await this.headerLocation(params.gguf, signal);
            try {
                file = { shape: await readModelShape(where, signal), uri: params.gguf };
            } catch (e) {
                if (signal.aborted) throw cancelled();
                throw glm4Error("BadModel", `Could not read the GGUF header of ${params.gguf}: ${(e as Error).message}`, params.gguf);
            }
        }
        try {
            return requirementsTable(machine, opts, file);
        } catch (e) {
            if (e instanceof RangeError) throw glm4Error("InvalidParams", e.message);
            throw e;
        }
    }

    /** Where to read a GGUF header: a local path, a URL, or the hub URL an `hf:` URI resolves to. */
    private async headerLocation(gguf: string, signal: AbortSignal): Promise<string> {
        const ref = parseHfUri(gguf);
        if (ref) {
            try {
                return (await resolveHubFiles(ref, { signal }))[0]!.url;
            } catch (e) {
                if (signal.aborted) throw cancelled();
                throw glm4Error("DownloadFailed", `Could not resolve ${gguf}: ${(e as Error).message}`, gguf);
            }
        }
        return /^https?:/i.test(gguf) ? gguf : expandLocalPath(gguf);
    }

    /**
     * The machine to plan with: the probe's view plus the VRAM the loaded model holds (a new choice replaces it;
     * otherwise a 24 GB card holding the 32B would look too small for it). Estimated with one context (the
     * one created at load), so it errs on the small side.
     */
    async machine(ctx: ServerContext): Promise<MachineInfo> {
        const m = await this.probe();
        const status = ctx.models.status;
        if (!m.gpuType || status.state !== "ready" || ctx.settings.get().engine !== "local" || !status.contextSize) return m;
        try {
            const file = (await this.inUsePath(ctx)) ?? (await this.firstRunPath(ctx));
            if (!file) return m;
            const shape = await readModelShape(file);
            const layers = /(\d+)\/(\d+) layers/.exec(status.device ?? "");
            if (/^CPU\b/.test(status.device ?? "")) return m;
            const gpuLayers = layers ? Number(layers[1]) : shape.layers + 1;
            // the probe already counts this process's CUDA context as free (machine.ts): not twice
            const held = Math.max(0, estimate({ shape, contextSize: status.contextSize, gpuLayers }).vram.total - GPU_CUDA_CONTEXT);
            const vramFree = Math.min(m.vramTotal, m.vramFree + held);
            return { ...m, vramFree, heldByModel: vramFree - m.vramFree };
        } catch (e) {
            ctx.log.debug(`planner: could not estimate the loaded model's VRAM: ${(e as Error).message}`);
            return m;
        }
    }

    private async firstRunPath(ctx: ServerContext): Promise<string | undefined> {
        const r = await readFirstRunRecord(ctx.storagePath);
        return r ? findDownloaded(ctx.storagePath, r.uri) : undefined;
    }

    async choose(ctx: ServerContext): Promise<ChooseResult> {
        const machine = await this.machine(ctx);
        const choice: Choice = chooseModel(machine, { contexts: ENGINE_CONTEXTS });
        const recommended = option(choice);
        const options: ChoiceOption[] = [];
        if (choice.alternative) options.push(option(choice.alternative));
        const candidates: [typeof GLM4_32B, CatalogQuant][] = [
            [GLM4_32B, "Q4_K_M"], [GLM4_32B, "Q5_K_M"], [GLM4_32B, "Q6_K"], [GLM4_32B, "Q8_0"], [GLM4_32B, "Q3_K_M"],
            [GLM4_9B, "Q4_K_M"], [GLM4_9B, "Q8_0"],
        ];
        for (const [model, quant] of candidates) {
            const v = catalogVariant(model, quant);
            if (v.uri === choice.uri || options.some((o) => o.settings.model === v.uri)) continue;
            const fit = fitModel(v.shape, machine, { contexts: ENGINE_CONTEXTS, headroom: choice.headroom });
            const e = fit.estimate;
            options.push({
                settings: { model: v.uri, contextSize: fit.contextSize, gpuLayers: fit.gpuLayers },
                label: `${model.displayName} ${quant}, ${Math.round(fit.contextSize / 1024)}K context, ${fit.gpuLayers === 0 ? "on the CPU" : e.outputOnGpu ? "all layers on the GPU" : `${e.offloadedLayers} layers on the GPU`}`,
                detail: `${fmt(e.vram.total)} VRAM, ${fmt(e.ram.total)} RAM, ${(v.fileBytes / 1e9).toFixed(1)} GB download`,
                decodeTokS: 0,
            });
        }
        const result: ChooseResult = { detected: detectedOf(machine), recommended, explanation: choice.explanation, options };
        if (choice.completionModel) result.completionModel = option(choice.completionModel);
        return result;
    }

    async list(ctx: ServerContext): Promise<ListModelsResult> {
        const models = await listStoredModels(ctx.storagePath, await this.inUsePath(ctx));
        const result: ListModelsResult = { storagePath: ctx.storagePath, models };
        try {
            result.freeDiskBytes = await statfsFreeSpace(ctx.storagePath);
        } catch {
            // the storage folder may not exist yet
        }
        return result;
    }

    /** The file the current settings load, if it is on disk (a local path, or a recorded download). */
    private async inUsePath(ctx: ServerContext): Promise<string | undefined> {
        const s: Glm4Settings = ctx.settings.get();
        if (s.engine !== "local" || !s.model.trim()) return undefined;
        if (!isRemoteModel(s.model)) return expandLocalPath(s.model);
        const ref = parseHfUri(s.model);
        return ref ? findDownloaded(ctx.storagePath, formatHfRef(ref)) : undefined;
    }
}
