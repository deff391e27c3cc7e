/**
 * The optional models beside the main one (GLM-4-9B-0414 shares GLM-4-32B-0414's tokenizer):
 * - `glm4.completionModel`: a second `ModelSlot` in the host (the spec below), local engine, for inline completion;
 * - `glm4.draftModel`: loaded after each main-model load through the same local engine (resolve, validate,
 *   memory step-down) and attached to it for speculative decoding (`LlamaLanguageModel.attachDraft`, which
 *   checks the tokenizer). A failure is logged as a warning and shown in the status; chat runs without it.
 */
import type { ServerContext } from "../feature";
import type { Glm4Settings } from "../protocol/settings";
import type { LanguageModel } from "./languageModel";
import { LlamaLanguageModel, type DraftOptions } from "./llamaModel";
import type { EngineLoader } from "./llama/localEngine";

/** What a model slot loads. */
export interface SlotSpec {
    /** "Model" / "Completion model", in log lines and progress titles. */
    label: string;
    /** The settings the slot loads, derived from the configured ones. */
    settings(s: Glm4Settings): Glm4Settings;
    /** A change of this key reloads the slot. */
    key(s: Glm4Settings): string;
    /** For a secondary slot: what happens on failure, said in the warning. */
    fallback?: string;
}

/** The completion model slot: `glm4.completionModel` on the local engine ("" = not configured). */
export const COMPLETION_SLOT: SlotSpec = {
    label: "Completion model",
    settings: (s) => ({ ...s, engine: "local", model: s.completionModel.trim(), draftModel: "" }),
    key: (s) => JSON.stringify([s.model, s.gpuLayers, s.contextSize, s.threads]),
    fallback: "Inline completion uses the main model.",
};

/** How the draft predicts in the product (node-llama-cpp's defaults: see bench/secondModel.ts for the measurements). */
export const DEFAULT_DRAFT_OPTIONS: DraftOptions = {};

type DraftState =
    | { state: "off" }
    | { state: "loading"; name: string }
    | { state: "ready"; main: LlamaLanguageModel; name: string }
    | { state: "error"; name: string; error: string };

/** Loads `glm4.draftModel` after the main model and attaches it; keeps its state for the status. */
export class DraftLoader {
    private current: DraftState = { state: "off" };

    constructor(
        private readonly ctx: Pick<ServerContext, "log" | "storagePath">,
        private readonly engine: () => EngineLoader | undefined,
        private readonly emit: () => void,
        private readonly options: DraftOptions = DEFAULT_DRAFT_OPTIONS,
    ) {}

    /** Called when the main model `raw` loaded with settings `s`; `signal` aborts when it is superseded. */
    loadFor(raw: LanguageModel, s: Glm4Settings, signal: AbortSignal): void {
        const draft = s.draftModel.trim();
        if (!draft || s.engine !== "local") {
            if (this.current.state !== "off") this.set({ state: "off" });
            return;
        }
        const name = draft.split(/[\\/]/).pop()!.replace(/\.gguf$/i, "") || draft;
        if (!(raw instanceof LlamaLanguageModel)) {
            this.fail(name, "a draft model needs the main model on the local engine");
            return;
        }
        this.set({ state: "loading", name });
        void this.load(raw, s, draft, name, signal);
    }

    /** One sentence for the status, "" when no draft model is configured. */
    sentence(): string {
        const c = this.current;
        if (c.state === "off") return "";
        if (c.state === "loading") return `${c.name}: loading`;
        if (c.state === "error") return `${c.name}: not used (${c.error}); chat runs without speculative decoding`;
        if (c.main.draftProblem) return `${c.name}: dropped (${c.main.draftProblem}); chat runs without speculative decoding`;
        const { validated, refuted } = c.main.draftStats;
        return `${c.name}: speculative decoding, ${validated} draft tokens accepted, ${refuted} rejected`;
    }

    private async load(main: LlamaLanguageModel, s: Glm4Settings, path: string, name: string, signal: AbortSignal): Promise<void> {
        let draft: LanguageModel | undefined;
        try {
            const loader = this.engine();
            if (!loader) throw new Error("the local engine is not available");
            ({ model: draft } = await loader({
                settings: { ...s, model: path, draftModel: "", completionModel: "", contextSize: main.info.contextSize },
                signal, storagePath: this.ctx.storagePath, log: this.ctx.log, report: () => undefined,
            }));
            if (signal.aborted) throw signal.reason;
            if (!(draft instanceof LlamaLanguageModel)) throw new Error("the draft model did not load on the local engine");
            main.attachDraft(draft, this.options);
            this.set({ state: "ready", main, name: draft.info.name });
            this.ctx.log.info(`Draft model ready: ${draft.info.name}, ${draft.info.device}; chat uses speculative decoding.`);
        } catch (e) {
            await draft?.dispose().catch(() => undefined);
            if (signal.aborted) return; // the main model was replaced; its own load reports
            this.fail(name, (e as Error)?.message ?? String(e));
        }
    }

    private fail(name: string, error: string): void {
        this.ctx.log.warn(`Draft model: ${error}. Chat runs without speculative decoding.`);
        this.set({ state: "error", name, error });
    }

    private set(next: DraftState): void {
        this.current = next;
        this.emit();
    }
}
