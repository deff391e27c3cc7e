/**
 * Speculative decoding with a draft model, verified in one main-model batch per round.
 *
 * Why not node-llama-cpp's `DraftSequenceTokenPredictor`: in 3.21.1 (and 3.22.1) its verification accepts at
 * most ONE drafted token per main-model step (`_speculativeEvaluate` compares each further drafted token with
 * `validatedTokens.at(-1)`, a list that is never filled, so they all count as refuted and are erased), which
 * caps the gain below 2x and makes longer drafts pure cost.
 *
 * A round: the draft model greedily predicts up to `maxTokens` tokens after the accepted text, stopping early at
 * an end-of-generation token or, when `minConfidence` > 0, at the first prediction below it; the main model evaluates the
 * pending token and every drafted token in ONE `controlledEvaluate` batch, sampling its own next token at each
 * position with the caller's sampling options; the longest run of drafted tokens equal to the main model's own
 * samples is accepted, plus the main model's token after it (so every round yields at least one token, and the
 * output is exactly what the main model samples, position by position). Rejected tokens are erased from both
 * KV caches. The draft's KV cache is kept in step with the accepted text (common prefix reused). When a
 * drafting round gains nothing (the draft abstained or was wrong), drafting pauses for 1, 2, 4 .. 64 tokens,
 * decoded plainly, so a draft that does not fit the text costs little; the draft then catches up in one batch.
 * Measured on an H100 (bench/gpu/results/): see bench/secondModel.ts for what it gains and costs.
 *
 * Grammar-constrained generations do not come here (`controlledEvaluate` takes no grammar): they decode plainly.
 */
import type { ControlledEvaluateInputItem, LlamaContextSequence, Token } from "node-llama-cpp";

export interface SpeculativeOptions {
    /** Most tokens drafted per round. */
    maxTokens: number;
    /** Stop drafting at the first prediction the draft model gives a lower probability (0..1; 0 = never). */
    minConfidence: number;
}

export interface SpeculativeSampling {
    temperature: number;
    topK?: number;
    topP?: number;
    seed?: number;
}

export interface SpeculativeRun {
    main: LlamaContextSequence;
    draft: LlamaContextSequence;
    /** Every token of the prompt; the last one is not evaluated on `main` yet (its logits give the first token). */
    prompt: readonly Token[];
    sampling: SpeculativeSampling;
    options: SpeculativeOptions;
    evaluationPriority: 1 | 2 | 3 | 4 | 5;
    /** Tokens the caller may still take (drafting beyond them is wasted work). */
    remaining(): number;
    isEog(token: Token): boolean;
    /** Per round: drafted tokens the main model accepted and rejected. */
    onRound?(accepted: number, rejected: number): void;
}

/** Most main-model steps without drafting after a drafting round that gained nothing. */
export const MAX_SKIP = 64;
/** Up to this many tokens the draft lacks are evaluated one by one (the same graph as drafting); more, in one batch. */
const CATCH_UP_ONE_BY_ONE = 4;

/** Yields the main model's tokens one by one; the caller stops by calling `return()` (then nothing more runs). */
export async function* speculativeTokens(run: SpeculativeRun): AsyncGenerator<Token, void, undefined> {
    const { main, sampling } = run;
    const accepted: Token[] = [...run.prompt];
    let pending: Token = accepted[accepted.length - 1]!;
    // controlledEvaluate makes a new sampler per call: with a fixed seed every round would draw the same random
    // numbers, so the seed moves on each round (still reproducible)
    let round = 0;
    const generateNext = (): { token: true; options: SpeculativeSampling } => ({
        token: true, options: { ...sampling, ...(sampling.seed !== undefined ? { seed: (sampling.seed + 7919 * round) >>> 0 } : {}) },
    });
    // Steps without drafting go through node-llama-cpp's own decode loop (one sampler for all of them);
    // after it yielded a token, that token is not evaluated yet (it is `pending`).
    let plain: AsyncGenerator<Token, void, Token | Token[] | undefined> | undefined;
    // Back-off: after a drafting round that gained nothing, skip drafting for 1, 2, 4 .. MAX_SKIP steps.
    let skip = 0, backoff = 0;
    try {
        for (;;) {
            const room = main.contextSize - main.nextTokenIndex - 2;
            const want = Math.min(run.options.maxTokens, run.remaining() - 1, room);
            if (want <= 0 || skip > 0) {
                if (skip > 0) skip--;
                plain ??= main.evaluate([pending], { ...sampling, evaluationPriority: run.evaluationPriority, yieldEogToken: true });
                const r = await plain.next();
                if (r.done) return;
                accepted.push(r.value);
                pending = r.value;
                yield r.value;
                continue;
            }
            if (plain) {
                await plain.return(undefined);
                plain = undefined;
            }
            const drafted = await draftTokens(run, accepted, want);
            round++;
            const roundSampling = generateNext();
            const input: ControlledEvaluateInputItem[] = [pending, ...drafted].map((t) => [t, { generateNext: roundSampling }]);
            const outputs = await main.controlledEvaluate(input, { evaluationPriority: run.evaluationPriority });
            const sampled = outputs.map((o) => o?.next.token ?? undefined);
            let n = 0;
            while (n < drafted.length && sampled[n] === drafted[n]) n++;
            const next = sampled[n];
            if (next === undefined || next === null) throw new Error("the main model sampled no token");
            // main holds pending + every drafted token: drop the rejected ones
            if (n < drafted.length) {
                await main.eraseContextTokenRanges([{ start: main.nextTokenIndex - (drafted.length - n), end: main.nextTokenIndex }]);
            }
            backoff = n > 0 ? 0 : Math.min(MAX_SKIP, backoff === 0 ? 1 : backoff * 2);
            skip = backoff;
            run.onRound?.(n, drafted.length - n);
            const emitted = [...drafted.slice(0, n), next];
            accepted.push(...emitted);
            pending = next;
            for (const t of emitted) yield t;
        }
    } finally {
        await plain?.return(undefined);
    }
}

/**
 * Brings the draft's KV cache to `accepted` (common prefix kept), then predicts up to `want` tokens after it.
 * Every draft decode is one token with logits, so llama.cpp's CUDA graph for it stays valid (a decode of another
 * shape resets it, and re-capturing costs more than the decode); only a long catch-up goes in one batch.
 * Confidence (a softmax over the whole vocabulary per token, milliseconds on a CPU) is computed only when
 * `minConfidence` asks for it. The draft's cache then holds `accepted` and all but the last prediction.
 */
async function draftTokens(run: SpeculativeRun, accepted: readonly Token[], want: number): Promise<Token[]> {
    const { draft } = run;
    const keep = Math.min(draft.compareContextTokens(accepted as Token[]).firstDifferentIndex, accepted.length - 1);
    if (keep < draft.nextTokenIndex) await draft.eraseContextTokenRanges([{ start: keep, end: draft.nextTokenIndex }]);
    let missing = accepted.slice(draft.nextTokenIndex);
    if (missing.length > CATCH_UP_ONE_BY_ONE) {
        const batch = Math.max(1, draft.context.batchSize);
        const head = missing.slice(0, -1);
        for (let i = 0; i < head.length; i += batch) {
            await draft.evaluateWithoutGeneratingNewTokens(head.slice(i, i + batch), { evaluationPriority: run.evaluationPriority });
        }
        missing = missing.slice(-1);
    }
    const confidence = run.options.minConfidence > 0;
    const out: Token[] = [];
    const iterator = draft.evaluateWithMetadata([missing[0]!], { confidence }, {
        temperature: 0, evaluationPriority: run.evaluationPriority, yieldEogToken: true,
    });
    try {
        let r = await iterator.next();
        for (let i = 1; i < missing.length && !r.done; i++) r = await iterator.next(missing[i]!); // replaces the prediction
        while (!r.done) {
            if (confidence && ((r.value as { confidence?: number }).confidence ?? 0) < run.options.minConfidence) break;
            out.push(r.value.token);
            if (out.length >= want || run.isEog(r.value.token)) break;
            r = await iterator.next();
        }
    } finally {
        await iterator.return(undefined);
    }
    return out;
}
