/**
 * Speculative decoding with a draft model, verified in one main-model batch per round.
 *
 * Why not node-llama-cpp's `DraftSequenceTokenPredictor`: in 3.21.1 (and 3.22.1) its verification accepts at
 * most ONE drafted token per main-model step (`_speculativeEvaluate` compares each further drafted token with
 * `validatedTokens.at(-1)`, a list that is never filled, so they all count as refuted and are erased), which
 * caps the gain below 2x and makes longer drafts pure cost.
 *
 * A round: the draft model greedily predicts up to `maxTokens` tokens after the accepted text, stopping early at
 * the first prediction below `minConfidence` (or an end-of-generation token); the main model evaluates the
 * pending token and every drafted token in ONE `controlledEvaluate` batch, sampling its own next token at each
 * position with the caller's sampling options; the longest run of drafted tokens equal to the main model's own
 * samples is accepted, plus the main model's token after it (so every round yields at least one token, and the
 * output is exactly what the main model samples, position by position). Rejected tokens are erased from both
 * KV caches. The draft's KV cache is kept in step with the accepted text (common prefix reused). When a
 * drafting round gains nothing (the draft abstained or was wrong), drafting pauses for 1, 2, 4 .. 16 rounds,
 * so a draft that does not fit the text costs little; the draft then catches up in one batch.
 *
 * Grammar-constrained generations do not come here (`controlledEvaluate` takes no grammar): they decode plainly.
 */
import type { ControlledEvaluateInputItem, LlamaContextSequence, Token } from "node-llama-cpp";

export interface SpeculativeOptions {
    /** Most tokens drafted per round. */
    maxTokens: number;
    /** Stop drafting at the first prediction the draft model gives a lower probability (0..1). */
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

/** Most main-model rounds without drafting after drafts that gained nothing (the draft catches up in one batch). */
export const MAX_SKIP = 16;

/** Yields the main model's tokens one by one; the caller stops by calling `return()` (then nothing more runs). */
export async function* speculativeTokens(run: SpeculativeRun): AsyncGenerator<Token, void, undefined> {
    const { main, draft, sampling } = run;
    const accepted: Token[] = [...run.prompt];
    let pending: Token = accepted[accepted.length - 1]!;
    const generateNext = { token: true, options: { ...sampling } };
    // Back-off: after a drafting round that gained nothing, skip drafting for 1, 2, 4 .. MAX_SKIP rounds.
    let skip = 0, backoff = 0;
    for (;;) {
        const room = main.contextSize - main.nextTokenIndex - 2;
        const want = Math.min(run.options.maxTokens, run.remaining() - 1, room);
        const drafting = want > 0 && skip === 0;
        if (skip > 0) skip--;
        const drafted = drafting ? await draftTokens(run, accepted, want) : [];

        const input: ControlledEvaluateInputItem[] = [pending, ...drafted].map((t) => [t, { generateNext }]);
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
        if (drafting) {
            backoff = n > 0 ? 0 : Math.min(MAX_SKIP, backoff === 0 ? 1 : backoff * 2);
            skip = backoff;
        }
        run.onRound?.(n, drafted.length - n);
        const emitted = [...drafted.slice(0, n), next];
        accepted.push(...emitted);
        pending = next;
        for (const t of emitted) yield t;
    }
}

/**
 * Brings the draft's KV cache to `accepted` minus its last token (common prefix kept), then predicts up to
 * `want` tokens after `accepted`. The draft's cache then holds `accepted` and all but the last prediction.
 */
async function draftTokens(run: SpeculativeRun, accepted: readonly Token[], want: number): Promise<Token[]> {
    const { draft } = run;
    const keep = Math.min(draft.compareContextTokens(accepted as Token[]).firstDifferentIndex, accepted.length - 1);
    if (keep < draft.nextTokenIndex) await draft.eraseContextTokenRanges([{ start: keep, end: draft.nextTokenIndex }]);
    const missing = accepted.slice(draft.nextTokenIndex, -1);
    const batch = Math.max(1, draft.context.batchSize);
    for (let i = 0; i < missing.length; i += batch) {
        await draft.evaluateWithoutGeneratingNewTokens(missing.slice(i, i + batch), { evaluationPriority: run.evaluationPriority });
    }
    const out: Token[] = [];
    const iterator = draft.evaluateWithMetadata([accepted[accepted.length - 1]!], { confidence: true }, {
        temperature: 0, evaluationPriority: run.evaluationPriority, yieldEogToken: true,
    });
    try {
        while (out.length < want) {
            const r = await iterator.next();
            if (r.done) break;
            if ((r.value.confidence ?? 0) < run.options.minConfidence) break;
            out.push(r.value.token);
            if (run.isEog(r.value.token)) break;
        }
    } finally {
        await iterator.return(undefined);
    }
    return out;
}
