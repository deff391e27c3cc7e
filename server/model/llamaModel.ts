/**
 * `LanguageModel` over node-llama-cpp 3.21.1, in this process.
 *
 * Contexts and memory: each session kind (completion, chat, agent) gets its own llama.cpp context with one
 * sequence, created the first time that kind generates, so memory is paid only for the kinds in use. All use
 * the same context size, fixed at load: a number from settings as given; "auto" = the largest size that fits
 * `reserveSessions` (default 2: completion + chat) contexts at once, capped at the model's training context
 * (node-llama-cpp's own fitting). The first context is created during load, which proves that at least one
 * fits (a memory failure then surfaces at load, where the host can step down); the first kind to generate
 * takes it. Flash attention is on, the KV cache is f16 (node-llama-cpp's default). Separate contexts let
 * completion decode while a chat prefill runs.
 *
 * Speculative decoding: `attachDraft` gives the model a draft model (same tokenizer, checked); chat and agent
 * generations without a grammar then draft on a draft context of their own (created lazily, same context size)
 * and verify each draft in one main-model batch (`llama/speculative.ts`; `llama/draft.ts` has the options and
 * node-llama-cpp's own predictor, kept to compare). The output is what the main model samples either way;
 * `draftStats` counts accepted (validated) and rejected (refuted) draft tokens.
 *
 * Sessions of the same kind share that kind's sequence and are serialized together. Disposing the model
 * aborts running generations (they resolve with "abort"), waits for them, then frees contexts and weights.
 */
import type { LlamaContext, LlamaContextSequence, LlamaGrammar, LlamaModel, Token } from "node-llama-cpp";
import { ResponseError } from "vscode-languageserver-protocol";
import type { Auto } from "../protocol/settings";
import { glm4Error } from "../protocol/errors";
import {
    GLM4_STOP_TOKENS, type GenerateOptions, type GenerateResult, type GrammarSpec, type LanguageModel, type ModelInfo,
    type ModelSession, type Prompt, type SessionKind,
} from "./languageModel";
import { deviceSentence, getSharedLlama, isMemoryError, loadNodeLlamaCpp, resolveThreads, type GpuChoice, type NodeLlamaCpp } from "./llama/engine";
import { resolveTokenReferences } from "./llama/grammarTokens";
import { runGeneration, tokenizePrompt, type SpeculativeTarget } from "./llama/session";
import { DraftAttachment, tokenizerMismatch, type DraftOptions } from "./llama/draft";
import { settledUnlessAborted } from "./settled";
import { controlTokens } from "./validate";

export interface LoadLlamaModelOptions {
    /** A local GGUF file (validate it first with `validateModelFile`). */
    modelPath: string;
    /** "auto": as many layers as fit (node-llama-cpp's fitting); a number: exactly that many (0 = CPU). */
    gpuLayers: Auto<number>;
    /** Tokens per session context; "auto": see the module comment. */
    contextSize: Auto<number>;
    /** CPU threads; "auto" = `os.availableParallelism()`. Always passed explicitly to llama.cpp. */
    threads: Auto<number>;
    signal?: AbortSignal;
    /** Load progress, 0..1. */
    onProgress?: (fraction: number) => void;
    /** GPU backend choice for the shared `Llama` (default "auto"). */
    gpu?: GpuChoice;
    /** How many session contexts "auto" context sizing leaves room for (default 2). */
    reserveSessions?: number;
    /** GGUF metadata overrides (the planner's YaRN RoPE scaling beyond the native context). */
    metadataOverrides?: Record<string, unknown>;
}

/** Loads a GGUF model. Rejects with the engine's error (memory errors: see `isMemoryError`) or the signal's reason. */
export async function loadLlamaModel(options: LoadLlamaModelOptions): Promise<LlamaLanguageModel> {
    const nlc = await loadNodeLlamaCpp();
    const llama = await getSharedLlama(options.gpu ?? "auto");
    options.signal?.throwIfAborted();
    const reserve = Math.max(1, options.reserveSessions ?? 2);
    const threads = resolveThreads(options.threads);
    const gpuLayers = options.gpuLayers === "auto"
        ? (options.contextSize === "auto" ? "auto" : { fitContext: { contextSize: options.contextSize * reserve } })
        : Math.max(0, Math.floor(options.gpuLayers));
    const model = await llama.loadModel({
        modelPath: options.modelPath,
        gpuLayers,
        defaultContextFlashAttention: true,
        ...(options.signal ? { loadSignal: options.signal } : {}),
        ...(options.onProgress ? { onLoadProgress: options.onProgress } : {}),
        ...(options.metadataOverrides ? { metadataOverrides: options.metadataOverrides as NonNullable<Parameters<typeof llama.loadModel>[0]["metadataOverrides"]> } : {}),
    });
    try {
        let size: number;
        if (options.contextSize === "auto") {
            size = await model.fileInsights.configurationResolver.resolveContextContextSize("auto", {
                modelGpuLayers: model.gpuLayers, modelTrainContextSize: model.trainContextSize, flashAttention: true, sequences: reserve,
            });
        } else {
            size = Math.max(1, Math.floor(options.contextSize));
        }
        options.signal?.throwIfAborted();
        const first = await model.createContext({
            contextSize: options.contextSize === "auto" ? { max: size } : size,
            sequences: 1,
            threads: { ideal: threads, min: 1 },
            flashAttention: true,
            ...(options.signal ? { createSignal: options.signal } : {}),
        });
        const deviceNames = llama.gpu === false ? [] : await llama.getGpuDeviceNames();
        const meta = model.fileInfo.metadata;
        const info: ModelInfo = {
            name: meta.general?.name || baseName(options.modelPath),
            architecture: String(meta.general?.architecture ?? "unknown"),
            contextSize: first.contextSize,
            trainContextSize: model.trainContextSize,
            specialTokens: controlTokens(meta.tokenizer?.ggml?.tokens, meta.tokenizer?.ggml?.token_type),
            device: deviceSentence({
                gpu: llama.gpu, gpuLayers: model.gpuLayers, totalLayers: model.fileInsights.totalLayers, deviceNames, threads,
                contextSize: first.contextSize,
            }),
            engine: "local",
        };
        const template = meta.tokenizer?.chat_template;
        if (typeof template === "string") info.chatTemplate = template;
        return new LlamaLanguageModel(nlc, model, first, info, threads);
    } catch (e) {
        await model.dispose().catch(() => undefined);
        throw e;
    }
}

function baseName(p: string): string {
    return p.split(/[\\/]/).pop()!.replace(/\.gguf$/i, "");
}

export type { DraftOptions };

export class LlamaLanguageModel implements LanguageModel {
    private spare: LlamaContext | undefined;
    private readonly sequences = new Map<SessionKind, Promise<LlamaContextSequence>>();
    private readonly ready = new Map<SessionKind, LlamaContextSequence>();
    private readonly queues = new Map<SessionKind, Promise<void>>();
    private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
    private readonly inFlight = new Set<Promise<unknown>>();
    private readonly disposer = new AbortController();
    private readonly stopTokens = new Map<Token, string>();
    private disposed = false;
    private draft: DraftAttachment | undefined;
    /** The draft options version each kind's node-llama-cpp predictor was made with. */
    private readonly predictorVersions = new Map<SessionKind, number>();
    private readonly predictions = { validated: 0, refuted: 0 };
    /** Why an attached draft was dropped, if it was. */
    draftProblem: string | undefined;

    constructor(
        private readonly nlc: NodeLlamaCpp,
        /** The node-llama-cpp model (engine-specific callers and tests only). */
        readonly llamaModel: LlamaModel,
        firstContext: LlamaContext,
        readonly info: ModelInfo,
        readonly threads: number,
    ) {
        this.spare = firstContext;
        for (const s of GLM4_STOP_TOKENS) {
            const id = this.singleToken(s);
            if (id !== undefined) this.stopTokens.set(id, s);
        }
    }

    countTokens(text: string): number {
        return this.llamaModel.tokenize(text, false).length;
    }

    /** Prompt -> token ids, exactly as `generate` tokenizes it. */
    tokenize(prompt: Prompt): Token[] {
        return tokenizePrompt(this.llamaModel, prompt);
    }

    openSession(kind: SessionKind): ModelSession {
        return new LlamaSession(this, kind);
    }

    async dispose(): Promise<void> {
        if (this.disposed) return;
        this.disposed = true;
        this.disposer.abort(new Error("model disposed"));
        await Promise.allSettled([...this.inFlight]);
        await this.llamaModel.dispose();
        await this.draft?.dispose();
    }

    /** The attached draft model's name, if any. */
    get draftName(): string | undefined {
        return this.draft?.model.info.name;
    }

    /** Speculative decoding so far: draft tokens the main model accepted (validated) and rejected (refuted). */
    get draftStats(): { validated: number; refuted: number } {
        return { ...this.predictions };
    }

    /**
     * Uses `draft` to predict tokens for chat and agent generations; this model then owns it (disposes it).
     * Throws `glm4Error("BadModel")` (and leaves `draft` to the caller) when the tokenizers differ.
     */
    attachDraft(draft: LlamaLanguageModel, options: DraftOptions = {}): void {
        if (this.disposed) throw glm4Error("ModelNotLoaded", "The model was unloaded; acquire it again.");
        if (this.draft) throw glm4Error("Internal", "A draft model is already attached.");
        const problem = tokenizerMismatch(this.llamaModel, draft.llamaModel);
        if (problem) {
            throw glm4Error("BadModel", `The draft model ${draft.info.name} cannot be used with ${this.info.name}: ${problem}. ` +
                `A draft model must share the main model's tokenizer (for GLM-4-32B-0414: GLM-4-9B-0414).`);
        }
        this.draft = new DraftAttachment(this.nlc, draft, options, this.info.contextSize, this.disposer.signal);
    }

    /** Changes how the attached draft predicts; chat and agent generations use the new options from the next one. */
    setDraftOptions(options: DraftOptions): void {
        if (!this.draft) throw glm4Error("Internal", "No draft model is attached.");
        this.draft.setOptions(options);
    }

    /** @internal The load-time context, once (a draft model's first draft context). */
    takeSpareContext(): LlamaContext | undefined {
        const spare = this.spare;
        this.spare = undefined;
        return spare;
    }

    /** Drops the draft after an engine failure; generation goes on without speculative decoding. */
    private async dropDraft(e: unknown): Promise<void> {
        const draft = this.draft;
        this.draft = undefined;
        this.draftProblem = `its ${this.info.contextSize}-token context could not be created: ${(e as Error)?.message ?? String(e)}`;
        await draft?.dispose().catch(() => undefined);
    }

    /** The batch verifier's draft for a kind, when one applies (chat/agent, no grammar, "batch" verifier). */
    private async speculativeTarget(kind: SessionKind, options: GenerateOptions): Promise<SpeculativeTarget | undefined> {
        const draft = this.draft;
        if (!draft || kind === "completion" || options.grammar || draft.verifier !== "batch") return undefined;
        try {
            return {
                draft: await draft.sequence(kind),
                options: draft.speculativeOptions(),
                onRound: (accepted, rejected) => {
                    this.predictions.validated += accepted;
                    this.predictions.refuted += rejected;
                },
            };
        } catch (e) {
            await this.dropDraft(e);
            return undefined;
        }
    }

    /** @internal */
    cachedTokens(kind: SessionKind): number {
        const seq = this.ready.get(kind);
        return seq && !seq.disposed ? seq.nextTokenIndex : 0;
    }

    /** @internal Runs `work` after the kind's previous call settled (unless `signal` aborts while waiting). */
    async serialized<T>(kind: SessionKind, signal: AbortSignal | undefined, work: () => Promise<T>, onAbortWhileWaiting: () => T): Promise<T> {
        if (this.disposed) throw glm4Error("ModelNotLoaded", "The model was unloaded; acquire it again.");
        const prev = this.queues.get(kind) ?? Promise.resolve();
        let release!: () => void;
        const mine = new Promise<void>((r) => (release = r));
        this.queues.set(kind, prev.then(() => mine));
        const run = (async () => {
            try {
                if (!(await settledUnlessAborted(prev, signal))) return onAbortWhileWaiting();
                return await work();
            } finally {
                release();
            }
        })();
        this.inFlight.add(run);
        void run.finally(() => this.inFlight.delete(run)).catch(() => undefined);
        return run;
    }

    /** @internal */
    async generate(kind: SessionKind, prompt: Prompt, options: GenerateOptions): Promise<GenerateResult> {
        const startedAt = performance.now();
        const signal = options.signal ? AbortSignal.any([options.signal, this.disposer.signal]) : this.disposer.signal;
        const abortedEarly = (): GenerateResult => {
            const totalMs = performance.now() - startedAt;
            const promptTokens = this.tokenize(prompt).length;
            return {
                text: "", stopReason: "abort",
                stats: { promptTokens, reusedPromptTokens: 0, evaluatedPromptTokens: 0, generatedTokens: 0, timeToFirstTokenMs: totalMs, totalMs },
            };
        };
        return this.serialized(kind, signal, async () => {
            if (signal.aborted) return abortedEarly();
            let sequence: LlamaContextSequence;
            try {
                sequence = await this.sequence(kind);
            } catch (e) {
                if (signal.aborted) return abortedEarly();
                throw e;
            }
            const before = sequence.tokenPredictions;
            const speculative = await this.speculativeTarget(kind, options);
            try {
                return await runGeneration(
                    {
                        nlc: this.nlc, model: this.llamaModel, sequence, stopTokens: this.stopTokens, grammar: (g) => this.grammar(g),
                        ...(speculative ? { speculative } : {}),
                    },
                    prompt, options, signal, startedAt,
                );
            } catch (e) {
                if (e instanceof ResponseError) throw e;
                if (signal.aborted) return abortedEarly();
                throw glm4Error("Internal", `Generation failed: ${(e as Error).message}`);
            } finally {
                if (!sequence.disposed) {
                    const after = sequence.tokenPredictions;
                    this.predictions.validated += after.validated - before.validated;
                    this.predictions.refuted += after.refuted - before.refuted;
                }
            }
        }, abortedEarly);
    }

    /** @internal */
    async reset(kind: SessionKind): Promise<void> {
        await this.serialized(kind, undefined, async () => {
            const seq = this.ready.get(kind);
            if (seq && !seq.disposed) await seq.clearHistory();
        }, () => undefined);
    }

    /**
     * The sequence of a session kind, creating its context the first time. With a draft on the "node-llama-cpp"
     * verifier, chat/agent sequences carry its predictor (a sequence made before the draft or before new options
     * is swapped: same context, its KV cache starts over); with the "batch" verifier they are plain.
     */
    private async sequence(kind: SessionKind): Promise<LlamaContextSequence> {
        let seq = await this.plainSequence(kind);
        const draft = this.draft;
        if (!draft || kind === "completion") return seq;
        const wantPredictor = draft.verifier === "node-llama-cpp";
        if (wantPredictor ? seq.tokenPredictor && this.predictorVersions.get(kind) === draft.version : !seq.tokenPredictor) return seq;
        const context = seq.context;
        const replace = (next: LlamaContextSequence): LlamaContextSequence => {
            this.ready.set(kind, next);
            this.sequences.set(kind, Promise.resolve(next));
            return next;
        };
        if (seq.tokenPredictor) {
            // free both sequences (a predictor does not dispose its draft sequence) for new ones
            await seq.dispose();
            await draft.releaseSequence(kind);
            seq = replace(context.getSequence());
        }
        if (!wantPredictor) return seq;
        let tokenPredictor: Awaited<ReturnType<DraftAttachment["predictor"]>>;
        try {
            tokenPredictor = await draft.predictor(kind);
        } catch (e) {
            await this.dropDraft(e); // no room for the draft's context (or another engine failure)
            return seq;
        }
        await seq.dispose();
        this.predictorVersions.set(kind, draft.version);
        return replace(context.getSequence({ tokenPredictor }));
    }

    private plainSequence(kind: SessionKind): Promise<LlamaContextSequence> {
        let p = this.sequences.get(kind);
        if (!p) {
            const spare = this.spare;
            this.spare = undefined;
            p = (async () => {
                try {
                    const context = spare ?? await this.llamaModel.createContext({
                        contextSize: this.info.contextSize, sequences: 1, threads: { ideal: this.threads, min: 1 }, flashAttention: true,
                        failedCreationRemedy: false, createSignal: this.disposer.signal,
                    });
                    const seq = context.getSequence();
                    this.ready.set(kind, seq);
                    return seq;
                } catch (e) {
                    this.sequences.delete(kind);
                    if (isMemoryError(this.nlc, e)) {
                        throw glm4Error("OutOfMemory", `Not enough memory for another ${this.info.contextSize}-token context (for ${kind}): ` +
                            `${(e as Error).message}. Lower glm4.contextSize or close other GPU programs.`);
                    }
                    throw e;
                }
            })();
            this.sequences.set(kind, p);
        }
        return p;
    }

    private grammar(spec: GrammarSpec): Promise<LlamaGrammar> {
        const key = spec.kind === "gbnf" ? `g:${spec.text}` : `j:${JSON.stringify(spec.schema)}`;
        let p = this.grammars.get(key);
        if (!p) {
            const llama = this.llamaModel.llama;
            p = (async () => {
                try {
                    if (spec.kind === "gbnf") {
                        const text = resolveTokenReferences(spec.text, (t) => this.singleToken(t));
                        return await llama.createGrammar({ grammar: text });
                    }
                    // The schema arrives as untrusted JSON; node-llama-cpp validates it while building the grammar.
                    return await llama.createGrammarForJsonSchema(spec.schema as never);
                } catch (e) {
                    this.grammars.delete(key);
                    throw glm4Error("InvalidParams", `Bad ${spec.kind} grammar: ${(e as Error).message}`);
                }
            })();
            if (this.grammars.size >= 32) this.grammars.delete(this.grammars.keys().next().value!);
            this.grammars.set(key, p);
        }
        return p;
    }

    /** The id of a text that is exactly one (special) token of this vocabulary. */
    private singleToken(text: string): Token | undefined {
        const ids = this.llamaModel.tokenize(text, true);
        return ids.length === 1 && this.llamaModel.detokenize(ids, true) === text ? ids[0] : undefined;
    }
}

class LlamaSession implements ModelSession {
    private disposed = false;

    constructor(private readonly owner: LlamaLanguageModel, readonly kind: SessionKind) {}

    get cachedTokens(): number {
        return this.owner.cachedTokens(this.kind);
    }

    generate(prompt: Prompt, options: GenerateOptions): Promise<GenerateResult> {
        if (this.disposed) return Promise.reject(glm4Error("Internal", `This ${this.kind} session was disposed.`));
        return this.owner.generate(this.kind, prompt, options);
    }

    reset(): Promise<void> {
        return this.owner.reset(this.kind);
    }

    dispose(): void {
        this.disposed = true;
    }
}
