/**
 * The model host: implements `ModelProvider` for the features. It loads the model the settings name, reports
 * loading with standard `window/workDoneProgress` and with `ModelStatus` (pushed to the client as
 * StatusNotification by the composition root), reloads when a model-affecting setting changes (model,
 * gpuLayers, contextSize, threads, engine, server URL/model), unloads after `idleUnloadMinutes` idle and
 * loads again on the next `acquire`.
 *
 * Never crash, never loop: a failed load leaves state "error" with a message a person can act on and is not
 * retried until the settings change or `reload()` is called; `acquire` then rejects with the same typed error.
 * Memory step-down is the local engine's job (llama/localEngine.ts); it is said once in the log and in the
 * status's device sentence.
 *
 * Roles and slots: the main model serves chat, and completion unless `glm4.completionModel` names a second,
 * faster model: a second `ModelSlot` (local engine, same resolve/validate/step-down path) loaded after the main
 * model; `acquire("completion")` returns it once loaded, else the main model (while it downloads, or when it
 * failed: a warning in the log and in the status's `completionModel`). `glm4.draftModel` is loaded after the
 * main model too and attached to it for speculative decoding (secondaryModels.ts); a failure (e.g. another
 * tokenizer) is reported the same way and chat runs without it. Neither ever blocks or fails the main model.
 */
import { LSPErrorCodes, ResponseError } from "vscode-languageserver-protocol";
import { settledUnlessAborted } from "./settled";
import type { WorkDoneProgressServerReporter } from "vscode-languageserver";
import type { ServerContext } from "../feature";
import type { Glm4Settings } from "../protocol/settings";
import type { ModelStatus } from "../protocol/status";
import { glm4Error } from "../protocol/errors";
import type { LanguageModel, ModelSession } from "./languageModel";
import type { ModelProvider, ModelRole } from "./modelProvider";
import { onLlamaLog } from "./llama/engine";
import { localEngine, type EngineLoader, type LoadProgress, type LocalEngineOptions } from "./llama/localEngine";
// planner helper: the scale-out engine (glm4.engine = "openai-compatible")
import { openAiEngine } from "../engines/openai/loader";
import type { DraftOptions } from "./llamaModel";
import { COMPLETION_SLOT, DraftLoader, type SlotSpec } from "./secondaryModels";

export type ModelHostContext = Pick<ServerContext, "connection" | "settings" | "log" | "storagePath">;

export interface ModelHostOptions {
    /** Loaders per `glm4.engine`; "local" (node-llama-cpp) is built in. */
    engines?: Partial<Record<Glm4Settings["engine"], EngineLoader>>;
    /** Options of the built-in local engine (GPU choice, test hooks). */
    local?: LocalEngineOptions;
    /** Draft predictor tuning (tests: a random-weight draft is never confident). */
    draft?: DraftOptions;
}

/**
 * The settings that decide which model is loaded and how; a change of any of them reloads. The draft model is
 * part of the main model's key (it is attached to that model: changing it reloads the main model).
 */
export function modelKey(s: Glm4Settings): string {
    const local = s.engine === "local";
    return JSON.stringify([s.engine, s.model.trim(), s.gpuLayers, s.contextSize, s.threads, local ? s.draftModel.trim() : [s.serverUrl, s.serverModel]]);
}

const MAIN_SLOT: SlotSpec = { label: "Model", settings: (s) => s, key: modelKey };

export function isConfigured(s: Glm4Settings): boolean {
    return s.engine === "local" ? s.model.trim() !== "" : s.serverUrl.trim() !== "";
}

export function createModelHost(ctx: ModelHostContext, options: ModelHostOptions = {}): ModelProvider {
    const engines: Partial<Record<Glm4Settings["engine"], EngineLoader>> = {
        local: localEngine(options.local), "openai-compatible": openAiEngine(), ...options.engines,
    };
    const listeners = new Set<(s: ModelStatus) => void>();
    const status = (): ModelStatus => {
        const out = primary.status;
        const completion = secondary.sentence();
        if (completion) out.completionModel = completion;
        const draftSentence = draft.sentence();
        if (draftSentence) out.draftModel = draftSentence;
        return out;
    };
    const emit = (): void => { const s = status(); for (const l of [...listeners]) l(s); };
    const draft = new DraftLoader(ctx, () => engines.local, emit, options.draft);
    const primary = new ModelSlot(ctx, engines, MAIN_SLOT, emit, (raw, s, signal) => {
        draft.loadFor(raw, s, signal);
        if (secondary.isConfigured()) void secondary.acquire().catch(() => undefined);
    });
    const secondary = new ModelSlot(ctx, engines, COMPLETION_SLOT, emit);
    const llamaLog = onLlamaLog((level, message) => ctx.log[level](`llama.cpp: ${message}`));
    const settingsSub = ctx.settings.onDidChange((next, prev) => {
        primary.settingsChanged(next, prev);
        secondary.settingsChanged(next, prev);
    });
    const acquire = async (role: ModelRole, signal?: AbortSignal): Promise<LanguageModel> => {
        // A loaded completion model serves without the main model (which may have been unloaded when idle).
        if (role === "completion" && secondary.isConfigured() && secondary.status.state === "ready") {
            try {
                return await secondary.acquire(signal);
            } catch (e) {
                if (signal?.aborted) throw e;
            }
        }
        const main = await primary.acquire(signal);
        if (role !== "completion" || !secondary.isConfigured() || secondary.status.state === "downloading") return main;
        try {
            return await secondary.acquire(signal);
        } catch (e) {
            if (signal?.aborted) throw e;
            return main; // the failure was logged and is in the status; it stays until settings change or reload
        }
    };
    return {
        acquire,
        get status() { return status(); },
        onDidChangeStatus(listener) {
            listeners.add(listener);
            return { dispose: () => void listeners.delete(listener) };
        },
        async reload() {
            await primary.reload();
            if (secondary.isConfigured() || secondary.status.state !== "idle") await secondary.reload();
            return status();
        },
        async dispose() {
            settingsSub.dispose();
            llamaLog.dispose();
            await Promise.all([primary.dispose(), secondary.dispose()]);
            listeners.clear();
        },
    };
}

interface Loading {
    key: string;
    controller: AbortController;
    promise: Promise<void>;
}

/** One loaded model and its lifecycle; `spec` says which settings it loads (the main or the completion model). */
class ModelSlot {
    private current: { key: string; model: LanguageModel; raw: LanguageModel } | undefined;
    private loading: Loading | undefined;
    private failure: { key: string; error: ResponseError<unknown> } | undefined;
    private started = false;
    private disposed = false;
    private busy = 0;
    private idleTimer: NodeJS.Timeout | undefined;
    private state: ModelStatus = { state: "idle" };

    constructor(
        private readonly ctx: ModelHostContext,
        private readonly engines: Partial<Record<Glm4Settings["engine"], EngineLoader>>,
        private readonly spec: SlotSpec,
        private readonly emit: () => void,
        private readonly onLoaded?: (raw: LanguageModel, s: Glm4Settings, signal: AbortSignal) => void,
    ) {}

    /** The settings this slot loads (its spec's view of the configured ones). */
    private settings(): Glm4Settings {
        return this.spec.settings(this.ctx.settings.get());
    }

    isConfigured(): boolean {
        return isConfigured(this.settings());
    }

    /** For a secondary slot: its state in one sentence for the status ("" when not configured). */
    sentence(): string {
        if (!this.isConfigured() && this.state.state === "idle") return "";
        const name = this.state.modelName ?? displayName(this.settings());
        if (this.state.state === "error") return `${name}: not used (${this.state.error}); the main model is used instead`;
        if (this.state.state === "ready") return `${name}: ready, ${this.state.device}`;
        return `${name}: ${this.state.state}`;
    }

    get status(): ModelStatus {
        return { ...this.state };
    }

    async acquire(signal?: AbortSignal): Promise<LanguageModel> {
        for (;;) {
            if (signal?.aborted) throw cancelled();
            if (this.disposed) throw glm4Error("ModelNotLoaded", "The language server is shutting down.");
            const s = this.settings();
            const key = this.spec.key(s);
            if (this.loading?.key === key) {
                // Also while reloading the same settings: the current model is about to be replaced.
                if (!(await settledUnlessAborted(this.loading.promise, signal))) throw cancelled();
                continue;
            }
            if (this.current?.key === key) {
                this.scheduleIdle();
                return this.current.model;
            }
            if (this.failure?.key === key) throw this.failure.error;
            if (!isConfigured(s)) throw notConfigured(s);
            this.startLoad(s);
        }
    }

    async reload(): Promise<ModelStatus> {
        if (this.disposed) return this.status;
        const s = this.settings();
        this.failure = undefined;
        if (!isConfigured(s)) {
            this.started = true;
            this.loading?.controller.abort();
            await this.unload();
            this.setStatus({ state: "idle", error: notConfigured(s).message });
            return this.status;
        }
        this.startLoad(s);
        // A newer load (settings changed meanwhile) supersedes this one: wait for the last.
        while (this.loading) await this.loading.promise;
        return this.status;
    }

    settingsChanged(next: Glm4Settings, prev: Glm4Settings): void {
        if (this.disposed) return;
        if (this.spec.key(this.spec.settings(next)) !== this.spec.key(this.spec.settings(prev))) {
            // Before the first load (reload() from `initialized`, or an acquire), settings are only recorded.
            if (this.started) void this.reload();
        } else if (next.idleUnloadMinutes !== prev.idleUnloadMinutes) {
            this.scheduleIdle();
        }
    }

    async dispose(): Promise<void> {
        if (this.disposed) return;
        this.disposed = true;
        clearTimeout(this.idleTimer);
        const loading = this.loading;
        loading?.controller.abort();
        await loading?.promise;
        await this.unload();
    }

    /** Starts loading `s`, cancelling a load in progress (the new one waits for it to let go of memory). */
    private startLoad(s: Glm4Settings): Loading {
        this.started = true;
        const previous = this.loading;
        previous?.controller.abort();
        const controller = new AbortController();
        const key = this.spec.key(s);
        const promise = (async () => {
            await previous?.promise;
            if (controller.signal.aborted) return;
            await this.unload();
            this.failure = undefined;
            await this.load(s, key, controller);
        })();
        const loading: Loading = { key, controller, promise };
        this.loading = loading;
        void promise.finally(() => { if (this.loading === loading) this.loading = undefined; });
        return loading;
    }

    private async load(s: Glm4Settings, key: string, controller: AbortController): Promise<void> {
        const signal = controller.signal;
        // The person can cancel the progress notification (a 19.7 GB download, say): the load stops and stays
        // stopped until reload (a download keeps its partial file and resumes then).
        let cancelledByUser = false;
        const progress = await this.beginProgress(() => { cancelledByUser = true; controller.abort(); });
        const userCancel = (): ResponseError<unknown> => glm4Error("ModelNotLoaded",
            `Loading ${displayName(s)} was cancelled. A download keeps what it has and resumes: run "GLM-4: Reload Model".`);
        let lastPercent = -1;
        const report = (p: LoadProgress): void => {
            if (signal.aborted) return;
            const percent = Math.round(p.fraction * 100);
            const state = p.state;
            if (percent === lastPercent && this.state.state === state) return;
            lastPercent = percent;
            progress?.report(percent, p.message);
            this.setStatus({ ...this.state, state, progress: p.fraction, error: undefined });
        };
        this.setStatus({ state: "loading", modelName: displayName(s), progress: 0 });
        try {
            const loader = this.engines[s.engine];
            if (!loader) throw glm4Error("ModelNotLoaded", `The "${s.engine}" engine is not available in this version: set glm4.engine to "local".`);
            const { model, notice } = await loader({ settings: s, signal, storagePath: this.ctx.storagePath, log: this.ctx.log, report });
            if (signal.aborted || this.disposed) {
                await model.dispose();
                if (cancelledByUser && !this.disposed) this.fail(s, key, userCancel());
                return;
            }
            this.current = { key, raw: model, model: this.track(model) };
            const device = notice ? `${model.info.device} (${notice})` : model.info.device;
            this.setStatus({ state: "ready", modelName: model.info.name, device, contextSize: model.info.contextSize });
            this.ctx.log.info(`${this.spec.label} ready: ${model.info.name}, ${device}.`);
            this.scheduleIdle();
            this.onLoaded?.(model, s, signal);
        } catch (e) {
            if (signal.aborted && !cancelledByUser) return; // superseded by a newer load or by dispose; that one reports
            if (!this.disposed) this.fail(s, key, cancelledByUser ? userCancel() : toResponseError(e));
        } finally {
            progress?.done();
        }
    }

    private async unload(): Promise<void> {
        clearTimeout(this.idleTimer);
        const cur = this.current;
        this.current = undefined;
        if (cur) await cur.raw.dispose().catch((e) => this.ctx.log.warn(`Unloading the model failed: ${(e as Error).message}`));
    }

    /** Wraps a model so that generation marks it busy (idle unload waits) and a swapped-out model says so. */
    private track(model: LanguageModel): LanguageModel {
        const slot = this;
        const begin = (): void => { slot.busy++; clearTimeout(slot.idleTimer); };
        const end = (): void => { slot.busy--; slot.scheduleIdle(); };
        return {
            get info() { return model.info; },
            countTokens: (t) => model.countTokens(t),
            openSession(kind): ModelSession {
                const session = model.openSession(kind);
                return {
                    kind,
                    get cachedTokens() { return session.cachedTokens; },
                    async generate(prompt, options) {
                        begin();
                        try {
                            return await session.generate(prompt, options);
                        } finally {
                            end();
                        }
                    },
                    reset: () => session.reset(),
                    dispose: () => session.dispose(),
                };
            },
            dispose: () => model.dispose(),
        };
    }

    private scheduleIdle(): void {
        clearTimeout(this.idleTimer);
        const minutes = this.ctx.settings.get().idleUnloadMinutes;
        if (!this.current || this.busy > 0 || !(minutes > 0) || this.disposed) return;
        this.idleTimer = setTimeout(() => void this.unloadIdle(minutes), minutes * 60_000);
        this.idleTimer.unref?.();
    }

    private async unloadIdle(minutes: number): Promise<void> {
        if (!this.current || this.busy > 0 || this.loading) return;
        await this.unload();
        this.setStatus({ state: "unloaded", modelName: this.state.modelName });
        this.ctx.log.info(`${this.spec.label} unloaded after ${minutes} idle minute(s); it loads again when needed.`);
    }

    /** A sticky failure: stays until settings change or reload(). */
    private fail(s: Glm4Settings, key: string, error: ResponseError<unknown>): void {
        this.failure = { key, error };
        this.setStatus({ state: "error", modelName: displayName(s), error: error.message });
        if (this.spec.fallback) this.ctx.log.warn(`${this.spec.label}: ${error.message} ${this.spec.fallback}`);
        else this.ctx.log.error(`${this.spec.label}: ${error.message}`);
    }

    private async beginProgress(onCancel: () => void): Promise<WorkDoneProgressServerReporter | undefined> {
        try {
            const reporter = await this.ctx.connection.window.createWorkDoneProgress();
            reporter.begin(`GLM-4: loading ${this.spec.label.toLowerCase()}`, 0, undefined, true);
            reporter.token.onCancellationRequested(onCancel);
            return reporter;
        } catch (e) {
            this.ctx.log.debug(`window/workDoneProgress unavailable: ${(e as Error).message}`);
            return undefined;
        }
    }

    private setStatus(next: ModelStatus): void {
        this.state = next;
        this.emit();
    }
}

export function displayName(s: Glm4Settings): string {
    const m = s.engine === "local" ? s.model.trim() : s.serverModel || s.serverUrl;
    return m.split(/[\\/]/).pop()!.replace(/\.gguf$/i, "") || m;
}

function notConfigured(s: Glm4Settings): ResponseError<unknown> {
    return s.engine === "local"
        ? glm4Error("ModelNotLoaded", "No model is configured: set glm4.model to a .gguf file or an hf: URI.")
        : glm4Error("ModelNotLoaded", "No server is configured: set glm4.serverUrl (engine openai-compatible).");
}

function cancelled(): ResponseError<unknown> {
    return new ResponseError(LSPErrorCodes.RequestCancelled, "Cancelled while waiting for the model.");
}

function toResponseError(e: unknown): ResponseError<unknown> {
    if (e instanceof ResponseError) return e;
    return glm4Error("ModelNotLoaded", `The model could not be loaded: ${(e as Error)?.message ?? String(e)}`);
}

