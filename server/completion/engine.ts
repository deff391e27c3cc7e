/**
 * The completion engine: one cursor position in, one suggestion (or a reason for none) out. No LSP here: the
 * feature (`feature.ts`) adapts requests, cancellation and document versions. Invariants:
 * - Work per request is bounded by the prompt window, never by the document size.
 * - The typed-through cache is asked first; a hit never touches the model.
 * - One dedicated `completion` session, so consecutive keystrokes reuse the KV prefix.
 * - Model problems (not loaded, failed) give "none" and a log line, never an exception.
 */
import type { GenerateResult, GrammarSpec, LanguageModel, ModelSession, Prompt } from "../model/languageModel";
import type { ModelProvider } from "../model/modelProvider";
import type { Logger } from "../logger";
import type { SettingsStore } from "../settings";
import type { CompletionMetrics } from "../protocol/completion";
import { completionFormatFor, type FormatOptions } from "../prompts/completion";
import { TypedThroughCache } from "./cache";
import { decideMode } from "./mode";
import { postprocess } from "./postprocess";
import { CrossFileRing } from "./ring";
import { stopRule } from "./stopRules";
import { extractWindow, looksBinary, shortPath, type CursorWindow } from "./window";

export interface CompletionEngineOptions {
    /**
     * Constrain sampling: tests force exact output through the real engine with a GBNF grammar (a function
     * picks one per request, e.g. by document).
     */
    grammar?: GrammarSpec | ((input: CompletionInput) => GrammarSpec | undefined);
    temperature?: number;
    topK?: number;
    topP?: number;
    seed?: number;
    /** Most tokens of file text (before + after the cursor) in a prompt. Default 1536. */
    windowTokens?: number;
    formats?: FormatOptions;
}

export interface CompletionInput {
    readonly uri: string;
    readonly languageId: string;
    /** The document text (a snapshot; only a window of it is read). */
    readonly text: string;
    readonly offset: number;
    readonly signal: AbortSignal;
    /** Epoch ms when the request arrived (latency and deadline are measured from it). */
    readonly receivedAt: number;
}

export type CompletionOutcome =
    | { readonly kind: "items"; readonly text: string; readonly metrics: CompletionMetrics; readonly generation?: GenerateResult }
    | { readonly kind: "none"; readonly reason: string; readonly generation?: GenerateResult };

/** Events for logs and tests: a generation started, produced its first text, or ended. */
export type CompletionTrace =
    | { readonly type: "generation-start"; readonly uri: string; readonly format: string; readonly mode: string; readonly prompt: Prompt }
    | { readonly type: "first-text"; readonly uri: string }
    | { readonly type: "generation-end"; readonly uri: string; readonly result: GenerateResult };

/** Slack for tokenization differences between parts counted separately and the whole prompt. */
const PROMPT_MARGIN_TOKENS = 16;
const DEFAULT_WINDOW_TOKENS = 1536;

export class CompletionEngine {
    readonly cache = new TypedThroughCache();
    readonly ring = new CrossFileRing();
    private current?: { model: LanguageModel; session: ModelSession };
    private readonly charsPerToken = new WeakMap<LanguageModel, number>();
    private readonly listeners = new Set<(t: CompletionTrace) => void>();
    private lastModelError = "";

    constructor(
        private readonly deps: { models: ModelProvider; settings: SettingsStore; log: Logger },
        private readonly options: CompletionEngineOptions = {},
    ) {}

    onTrace(listener: (t: CompletionTrace) => void): { dispose(): void } {
        this.listeners.add(listener);
        return { dispose: () => this.listeners.delete(listener) };
    }

    private emit(t: CompletionTrace): void {
        for (const l of [...this.listeners]) l(t);
    }

    async complete(input: CompletionInput): Promise<CompletionOutcome> {
        const settings = this.deps.settings.get().completion;
        if (!settings.enabled) return none("completion is disabled");
        if (settings.disabledLanguages.includes(input.languageId)) return none(`completion is disabled for ${input.languageId}`);

        const hit = this.cache.lookup(input.uri, input.text, input.offset);
        if (hit) {
            return {
                kind: "items", text: hit.text,
                metrics: { latencyMs: Date.now() - input.receivedAt, tokensPerSecond: 0, generatedTokens: 0, reusedPromptTokens: 0, evaluatedPromptTokens: 0, cached: true },
            };
        }

        let model: LanguageModel;
        try {
            model = await this.deps.models.acquire("completion", input.signal);
        } catch (e) {
            if (input.signal.aborted) return none("aborted");
            const message = (e as Error).message ?? String(e);
            if (message !== this.lastModelError) this.deps.log.warn(`inline completion: no model (${message}); returning no items`);
            this.lastModelError = message;
            return none(`no model: ${message}`);
        }
        this.lastModelError = "";
        const session = this.sessionFor(model);

        const maxTokens = Math.max(1, settings.maxTokens);
        const contextSize = model.info.contextSize;
        const crossFileTokens = Math.min(settings.crossFileTokens, Math.floor(contextSize / 4));
        const format = completionFormatFor(model.info.specialTokens, settings.format, this.options.formats);
        const path = shortPath(input.uri);
        // The format's own tokens (instructions, path, role tokens), measured on an empty window.
        const empty = format.build({ path, languageId: input.languageId, mode: "line", prefix: "", suffix: "", crossFile: [] });
        const overhead = empty.prompt.reduce((n, p) => n + model.countTokens(p.text), 0) + PROMPT_MARGIN_TOKENS;
        const windowTokens = Math.min(this.options.windowTokens ?? DEFAULT_WINDOW_TOKENS, contextSize - maxTokens - crossFileTokens - overhead);
        if (windowTokens < 32) return none(`context of ${contextSize} tokens is too small for completion`);

        const w = this.window(model, input.text, input.offset, windowTokens);
        if (!w) return none("binary document");
        if (input.signal.aborted) return none("aborted");

        const decision = decideMode(w);
        const crossFile = this.ring.select(input.uri, crossFileTokens, (t) => model.countTokens(t));
        const built = format.build({ path, languageId: input.languageId, mode: decision.mode, prefix: w.prefix, suffix: w.suffix, crossFile });
        const stopCtx = { decision, maxLines: settings.maxLines };

        this.emit({ type: "generation-start", uri: input.uri, format: format.id, mode: decision.mode, prompt: built.prompt });
        let first = true;
        const grammar = typeof this.options.grammar === "function" ? this.options.grammar(input) : this.options.grammar;
        let result: GenerateResult;
        try {
            result = await session.generate(built.prompt, {
                maxTokens,
                stop: built.stop,
                shouldStop: stopRule(stopCtx),
                signal: input.signal,
                deadline: input.receivedAt + settings.timeoutMs,
                temperature: this.options.temperature ?? 0.1,
                topK: this.options.topK ?? 40,
                topP: this.options.topP ?? 0.95,
                ...(this.options.seed !== undefined ? { seed: this.options.seed } : {}),
                ...(grammar ? { grammar } : {}),
                priority: 5,
                onText: () => {
                    if (first) this.emit({ type: "first-text", uri: input.uri });
                    first = false;
                },
            });
        } catch (e) {
            this.deps.log.warn(`inline completion: generation failed: ${(e as Error).message ?? e}`);
            return none(`generation failed: ${(e as Error).message ?? e}`);
        }
        this.emit({ type: "generation-end", uri: input.uri, result });
        const s = result.stats;
        this.deps.log.debug(`completion ${format.id}/${decision.mode}: ${s.evaluatedPromptTokens} evaluated + ${s.reusedPromptTokens} reused prompt tokens, ${s.generatedTokens} generated, ${result.stopReason}, ${s.totalMs} ms`);
        if (result.stopReason === "abort") return none("aborted", result);

        const text = postprocess(result.text, { linePrefix: w.linePrefix, lineSuffix: w.lineSuffix, suffix: w.suffix, decision, maxLines: settings.maxLines });
        if (text === undefined) return none("empty after post-processing", result);
        this.cache.add(input.uri, input.text, input.offset, text);
        const decodeMs = Math.max(1, s.totalMs - s.timeToFirstTokenMs);
        return {
            kind: "items", text, generation: result,
            metrics: {
                latencyMs: Date.now() - input.receivedAt,
                tokensPerSecond: s.generatedTokens > 1 ? ((s.generatedTokens - 1) * 1000) / decodeMs : 0,
                generatedTokens: s.generatedTokens,
                reusedPromptTokens: s.reusedPromptTokens,
                evaluatedPromptTokens: s.evaluatedPromptTokens,
                cached: false,
            },
        };
    }

    /**
     * The prompt window: char budgets from the model's measured characters per token (kept per model so the
     * window's start stays put between keystrokes), shrunk when a dense window still has too many tokens.
     */
    private window(model: LanguageModel, text: string, offset: number, windowTokens: number): CursorWindow | undefined {
        let ratio = this.charsPerToken.get(model);
        if (ratio === undefined) {
            const sample = extractWindow(text, offset, { prefixChars: windowTokens * 3, suffixChars: windowTokens });
            const chars = sample.prefix.length + sample.suffix.length;
            const tokens = chars > 0 ? model.countTokens(sample.prefix + sample.suffix) : 0;
            ratio = tokens > 0 && chars >= 256 ? Math.min(6, Math.max(1, chars / tokens)) : 3;
            this.charsPerToken.set(model, ratio);
        }
        for (let attempt = 0; ; attempt++) {
            const budget = windowTokens * ratio;
            const w = extractWindow(text, offset, { prefixChars: budget * 0.75, suffixChars: budget * 0.25 });
            if (looksBinary(w)) return undefined;
            const tokens = model.countTokens(w.prefix) + model.countTokens(w.suffix);
            if (tokens <= windowTokens || attempt >= 3) return w;
            ratio = Math.max(0.25, (ratio * windowTokens * 0.9) / tokens);
            this.charsPerToken.set(model, ratio);
        }
    }

    private sessionFor(model: LanguageModel): ModelSession {
        if (this.current?.model === model) return this.current.session;
        if (this.current) {
            try { this.current.session.dispose(); } catch { /* the old model is gone */ }
            this.cache.clear();
        }
        const session = model.openSession("completion");
        this.current = { model, session };
        return session;
    }

    dispose(): void {
        try { this.current?.session.dispose(); } catch { /* already gone */ }
        this.current = undefined;
    }
}

function none(reason: string, generation?: GenerateResult): CompletionOutcome {
    return generation ? { kind: "none", reason, generation } : { kind: "none", reason };
}
