/**
 * Typed-through cache: the model suggests TYPING_SUGGESTION on a fresh line, then the user types its first
 * characters one at a time, asking after each (awaited, no overlap). Each of those requests should be served
 * from the cache without the model; their server-side latency is the metric.
 */
import { CompletionMetricsNotification } from "../server/protocol/completion";
import { TYPING_SUGGESTION, type BenchServer } from "./setup";
import { openTypingDoc } from "./typing";

export interface CacheRound {
    /** Server-side ms of requests served from the cache. */
    hitMs: number[];
    /** Client round trip ms of the same requests (JSON-RPC over the in-memory channel included). */
    hitRoundTripMs: number[];
    /** Typed-through requests that were not served from the cache (should be 0). */
    misses: number;
    /** Suggestions that were not TYPING_SUGGESTION (should be 0). */
    unexpected: number;
}

const firstItem = (r: unknown): string | undefined => {
    const items = r == null ? [] : Array.isArray(r) ? r : (r as { items: { insertText: unknown }[] }).items;
    const t = items[0]?.insertText;
    return typeof t === "string" ? t : undefined;
};

export async function cacheRound(s: BenchServer, name: string, suggestions: number, typedChars: number): Promise<CacheRound> {
    const { h, timed } = s;
    const { doc, at: start } = openTypingDoc(s, name);
    let at = start;
    const out: CacheRound = { hitMs: [], hitRoundTripMs: [], misses: 0, unexpected: 0 };
    for (let i = 0; i < suggestions; i++) {
        // A fresh indented line: the text typed since any earlier suggestion no longer matches it, so the model runs.
        at = h.type(doc, at, i === 0 ? "  " : "\n  ");
        const shown = firstItem(await h.inlineCompletion(doc, at));
        if (shown !== TYPING_SUGGESTION) out.unexpected++;
        if (!shown) continue;
        for (let c = 0; c < Math.min(typedChars, shown.length - 1); c++) {
            at = h.type(doc, at, shown[c]!);
            const t0 = performance.now();
            const r = await h.inlineCompletion(doc, at);
            const roundTrip = performance.now() - t0;
            const metrics = h.received(CompletionMetricsNotification.type).at(-1);
            const span = timed.spanAt(doc.uri, at.line, at.character);
            if (firstItem(r) === shown.slice(c + 1) && metrics?.cached && span) {
                out.hitMs.push(span.ms);
                out.hitRoundTripMs.push(roundTrip);
            } else {
                out.misses++;
            }
        }
    }
    h.close(doc);
    return out;
}
