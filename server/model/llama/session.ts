/**
 * One generation on a node-llama-cpp context sequence: the loop behind `ModelSession.generate`.
 *
 * Steps: tokenize the Prompt part by part (special parts with special tokens enabled, text parts as plain
 * text); keep the longest common prefix with what the sequence holds (when the whole prompt is cached, the
 * last token is evaluated again for fresh logits); erase the rest; evaluate the new prompt tokens in batches
 * (abort and deadline are checked between batches); then drive `sequence.evaluate` token by token, stopping on
 * GLM-4's stop tokens (by id), any other end-of-generation token, stop strings, `shouldStop`, `maxTokens` (and
 * the context's end), the deadline and the abort signal. Aborting resolves with stopReason "abort".
 */
import type { LlamaContextSequence, LlamaGrammar, LlamaModel, Token } from "node-llama-cpp";
import type { GenerateOptions, GenerateResult, Prompt, StopReason } from "../languageModel";
import { glm4Error } from "../../protocol/errors";
import type { NodeLlamaCpp } from "./engine";
import { StopStringStream, Utf8TokenDecoder } from "./textStream";
import { speculativeTokens, type SpeculativeOptions } from "./speculative";

export interface GenerationTarget {
    readonly nlc: NodeLlamaCpp;
    readonly model: LlamaModel;
    readonly sequence: LlamaContextSequence;
    /** Stop token id -> its text (GLM-4's stop set as present in this vocabulary). */
    readonly stopTokens: ReadonlyMap<Token, string>;
    grammar(spec: NonNullable<GenerateOptions["grammar"]>): Promise<LlamaGrammar>;
    /** Speculative decoding for this generation (ignored under a grammar). */
    readonly speculative?: SpeculativeTarget;
}

export interface SpeculativeTarget {
    readonly draft: LlamaContextSequence;
    readonly options: SpeculativeOptions;
    onRound(accepted: number, rejected: number): void;
}

/**
 * Tokenizes a Prompt: special parts may produce control tokens, text parts never do. With `cached` (what the
 * KV sequence holds), a text part that starts where the prompt still matches the cache and whose text the
 * cached tokens spell exactly is taken as those tokens: a reply the model generated re-tokenizes differently
 * from how it was sampled (BPE is not unique), which would otherwise cut KV reuse inside the previous reply.
 */
export function tokenizePrompt(model: LlamaModel, prompt: Prompt, cached: readonly Token[] = []): Token[] {
    const tokens: Token[] = [];
    let matching = cached.length > 0;
    for (const part of prompt) {
        if (!part.text) continue;
        const start = tokens.length;
        const plain = model.tokenize(part.text, part.special === true);
        const reused = matching && !part.special && !sameTokens(plain, cached, start) ? cachedSpelling(model, part.text, cached, start) : undefined;
        tokens.push(...(reused ?? plain));
        matching = matching && sameTokens(tokens.slice(start), cached, start);
    }
    return tokens;
}

function sameTokens(tokens: readonly Token[], cached: readonly Token[], at: number): boolean {
    if (at + tokens.length > cached.length) return false;
    for (let i = 0; i < tokens.length; i++) if (tokens[i] !== cached[at + i]) return false;
    return true;
}

/** The shortest run of cached tokens from `at` (no control tokens) that detokenizes to exactly `text`. */
function cachedSpelling(model: LlamaModel, text: string, cached: readonly Token[], at: number): Token[] | undefined {
    const max = Math.min(cached.length - at, 4 * text.length);
    const spelled = (k: number): string => model.detokenize(cached.slice(at, at + k), true);
    let lo = 1, hi = max;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (spelled(mid).length >= text.length) hi = mid;
        else lo = mid + 1;
    }
    for (let k = lo; k <= Math.min(max, lo + 3); k++) {
        if (spelled(k) !== text) continue;
        const run = cached.slice(at, at + k);
        return run.some((t) => model.isSpecialToken(t)) ? undefined : run;
    }
    return undefined;
}

/**
 * Runs one generation. `signal` is the caller's signal combined with the model's dispose signal. `startedAt`
 * is when the call was made (time spent waiting for the session counts in `timeToFirstTokenMs`).
 */
export async function runGeneration(
    target: GenerationTarget,
    prompt: Prompt,
    options: GenerateOptions,
    signal: AbortSignal,
    startedAt: number,
): Promise<GenerateResult> {
    const { model, sequence } = target;
    const tokens = tokenizePrompt(model, prompt, sequence.contextTokens);
    const contextSize = sequence.contextSize;
    const stats = {
        promptTokens: tokens.length, reusedPromptTokens: 0, evaluatedPromptTokens: 0, generatedTokens: 0,
        timeToFirstTokenMs: 0, totalMs: 0,
    };
    const stream = new StopStringStream(options.stop, options.onText);
    const decoder = new Utf8TokenDecoder<Token>((t, last) => model.detokenize(t, true, last));
    const finish = (stopReason: StopReason, stoppedBy?: string): GenerateResult => {
        // Text still held back for an incomplete UTF-8 character is released (it may complete a stop string).
        const matched = stream.push(decoder.flush());
        if (matched !== undefined && stopReason !== "stop") { stopReason = "stop"; stoppedBy = matched; }
        stream.finish();
        stats.totalMs = performance.now() - startedAt;
        if (stats.generatedTokens === 0) stats.timeToFirstTokenMs = stats.totalMs;
        const result: GenerateResult = { text: stream.text, stopReason, stats };
        if (stoppedBy !== undefined) result.stoppedBy = stoppedBy;
        return result;
    };
    const interrupted = (): StopReason | undefined => {
        if (signal.aborted) return "abort";
        if (options.deadline !== undefined && Date.now() >= options.deadline) return "timeout";
        return undefined;
    };

    if (tokens.length === 0) throw glm4Error("InvalidParams", "The prompt is empty.");
    if (tokens.length >= contextSize) {
        throw glm4Error("ContextOverflow", `The prompt has ${tokens.length} tokens; the context holds ${contextSize} (including the reply).`);
    }
    const early = interrupted();
    if (early) return finish(early);

    const grammarState = options.grammar
        ? new target.nlc.LlamaGrammarEvaluationState({ model, grammar: await target.grammar(options.grammar) })
        : undefined;

    // KV reuse: keep the common prefix, but always evaluate at least the last prompt token (for its logits).
    const common = sequence.compareContextTokens(tokens).firstDifferentIndex;
    const keep = Math.min(common, tokens.length - 1);
    const meterBefore = sequence.tokenMeter.usedInputTokens;
    if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
    // If llama.cpp could not delete the cells, node-llama-cpp evaluated the kept tokens again: count them.
    const reEvaluated = Math.max(0, sequence.tokenMeter.usedInputTokens - meterBefore);
    stats.reusedPromptTokens = Math.max(0, keep - reEvaluated);
    stats.evaluatedPromptTokens = tokens.length - stats.reusedPromptTokens;

    const priority = options.priority ?? 3;
    const batch = Math.max(1, sequence.context.batchSize);
    const pending = tokens.slice(keep, -1);
    for (let i = 0; i < pending.length; i += batch) {
        const stop = interrupted();
        if (stop) return finish(stop);
        await sequence.evaluateWithoutGeneratingNewTokens(pending.slice(i, i + batch), { evaluationPriority: priority });
    }

    const limit = Math.max(1, Math.min(Math.floor(options.maxTokens), contextSize - tokens.length));
    const sampling = {
        temperature: options.temperature ?? 0,
        ...(options.topP !== undefined ? { topP: options.topP } : {}),
        ...(options.topK !== undefined ? { topK: options.topK } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
    };
    const spec = grammarState ? undefined : target.speculative;
    const iterator = spec
        ? speculativeTokens({
            main: sequence, draft: spec.draft, prompt: tokens, sampling, options: spec.options, evaluationPriority: priority,
            remaining: () => limit - stats.generatedTokens, isEog: (t) => target.stopTokens.has(t) || model.isEogToken(t),
            onRound: spec.onRound,
        })
        : sequence.evaluate([tokens[tokens.length - 1]!], {
            ...sampling,
            ...(grammarState ? { grammarEvaluationState: grammarState } : {}),
            evaluationPriority: priority,
            yieldEogToken: true,
        });
    try {
        for (;;) {
            const stop = interrupted();
            if (stop) return finish(stop);
            if (options.maxTokens <= 0 || stats.generatedTokens >= limit) return finish("maxTokens");
            const next = await iterator.next();
            if (next.done) return finish("eog");
            const token = next.value;
            if (stats.generatedTokens++ === 0) stats.timeToFirstTokenMs = performance.now() - startedAt;
            const stopToken = target.stopTokens.get(token);
            if (stopToken !== undefined) return finish("eog", stopToken);
            if (model.isEogToken(token)) return finish("eog", model.detokenize([token], true));
            const piece = decoder.push(token);
            const matched = stream.push(piece);
            if (matched !== undefined) return finish("stop", matched);
            if (piece && options.shouldStop?.(stream.text)) return finish("custom");
        }
    } finally {
        await iterator.return();
    }
}
