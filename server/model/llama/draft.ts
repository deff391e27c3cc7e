/**
 * A draft model attached to a main model for speculative decoding (`LlamaLanguageModel.attachDraft`): its
 * options, one draft context and sequence per session kind (created the first time, same context size as the
 * main model's), and the two ways to verify drafts:
 * - "batch" (default): `speculative.ts`, every drafted token verified in one main-model batch;
 * - "node-llama-cpp": its `DraftSequenceTokenPredictor` on the main sequence (accepts at most one drafted token
 *   per main-model step in 3.21.1; kept to compare against, see bench/secondModel.ts).
 */
import type { LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import type { SessionKind } from "../languageModel";
import type { NodeLlamaCpp } from "./engine";
import type { SpeculativeOptions } from "./speculative";

export interface DraftOptions {
    /** How drafts are verified (default "batch"). */
    verifier?: "batch" | "node-llama-cpp";
    /** Most tokens drafted per round (default: 8 for "batch", 16 for "node-llama-cpp"). */
    maxTokens?: number;
    /**
     * Stop drafting at a draft-token probability below this (0..1; default 0 for "batch": confidence costs a
     * softmax over the vocabulary per drafted token; 0.6 for "node-llama-cpp").
     */
    minConfidence?: number;
    /** "node-llama-cpp" only: tokens to draft before the main model goes on (default 0: what the draft has ready). */
    minTokens?: number;
}

/** Measured on an H100 with a draft that is always right: 8 tokens 1.50x, 4 tokens 1.14x, 2 tokens 1.04x. */
export const BATCH_DRAFT_MAX_TOKENS = 8;
export const BATCH_DRAFT_MIN_CONFIDENCE = 0;

/** What the attachment needs of the draft model (a `LlamaLanguageModel`). */
export interface DraftModel {
    readonly llamaModel: LlamaModel;
    readonly threads: number;
    readonly info: { readonly name: string };
    /** The draft's load-time context, once (the first kind uses it when it has the right size). */
    takeSpareContext(): LlamaContext | undefined;
    dispose(): Promise<void>;
}

export class DraftAttachment {
    private optionsVersion = 0;
    private readonly contexts = new Map<SessionKind, Promise<LlamaContext>>();
    private readonly sequences = new Map<SessionKind, LlamaContextSequence>();

    constructor(
        private readonly nlc: NodeLlamaCpp,
        readonly model: DraftModel,
        private current: DraftOptions,
        private readonly contextSize: number,
        private readonly signal: AbortSignal,
    ) {}

    get options(): DraftOptions {
        return this.current;
    }

    /** Increases with each `setOptions`: a node-llama-cpp predictor made with older options is replaced. */
    get version(): number {
        return this.optionsVersion;
    }

    get verifier(): "batch" | "node-llama-cpp" {
        return this.current.verifier ?? "batch";
    }

    setOptions(options: DraftOptions): void {
        this.current = options;
        this.optionsVersion++;
    }

    speculativeOptions(): SpeculativeOptions {
        return {
            maxTokens: Math.max(1, Math.floor(this.current.maxTokens ?? BATCH_DRAFT_MAX_TOKENS)),
            minConfidence: this.current.minConfidence ?? BATCH_DRAFT_MIN_CONFIDENCE,
        };
    }

    /** The kind's draft sequence, on a draft context of its own (created the first time). */
    async sequence(kind: SessionKind): Promise<LlamaContextSequence> {
        const existing = this.sequences.get(kind);
        if (existing && !existing.disposed) return existing;
        let p = this.contexts.get(kind);
        if (!p) {
            const spare = this.model.takeSpareContext();
            if (spare && spare.contextSize === this.contextSize) p = Promise.resolve(spare);
            else if (spare) void spare.dispose();
            p ??= this.model.llamaModel.createContext({
                contextSize: this.contextSize, sequences: 1, threads: { ideal: this.model.threads, min: 1 }, flashAttention: true,
                failedCreationRemedy: false, createSignal: this.signal,
            });
            this.contexts.set(kind, p);
            p.catch(() => this.contexts.delete(kind));
        }
        const seq = (await p).getSequence();
        this.sequences.set(kind, seq);
        return seq;
    }

    /** Frees the kind's draft sequence (a node-llama-cpp predictor does not dispose the one it was given). */
    async releaseSequence(kind: SessionKind): Promise<void> {
        const seq = this.sequences.get(kind);
        this.sequences.delete(kind);
        await seq?.dispose();
    }

    /** A node-llama-cpp predictor over the kind's draft sequence. */
    async predictor(kind: SessionKind): Promise<InstanceType<NodeLlamaCpp["DraftSequenceTokenPredictor"]>> {
        const o = this.current;
        return new this.nlc.DraftSequenceTokenPredictor(await this.sequence(kind), {
            maxTokens: o.maxTokens ?? 16,
            ...(o.minTokens !== undefined ? { minTokens: o.minTokens } : {}),
            ...(o.minConfidence !== undefined ? { minConfidence: o.minConfidence } : {}),
        });
    }

    dispose(): Promise<void> {
        return this.model.dispose();
    }
}

/** Why two models' tokenizers differ (undefined when they are the same: vocabulary size, every token, model type). */
export function tokenizerMismatch(main: LlamaModel, draft: LlamaModel): string | undefined {
    const a = main.fileInfo.metadata.tokenizer?.ggml;
    const b = draft.fileInfo.metadata.tokenizer?.ggml;
    const ta = a?.tokens ?? [], tb = b?.tokens ?? [];
    if (ta.length !== tb.length) return `the vocabulary sizes differ (${ta.length} tokens vs ${tb.length})`;
    if (a?.model !== b?.model) return `the tokenizer types differ (${a?.model} vs ${b?.model})`;
    for (let i = 0; i < ta.length; i++) {
        if (ta[i] !== tb[i]) return `token ${i} differs (${JSON.stringify(ta[i])} vs ${JSON.stringify(tb[i])})`;
    }
    return undefined;
}
