/**
 * Scripted typing over LSP: TYPED_FUNCTION is typed into a document one keystroke at a time at a fixed cadence;
 * after each keystroke the client asks for an inline completion, cancelling the previous request if it is still
 * pending (`$/cancelRequest`, as VS Code does; the server's newest-wins aborts it too). No client debounce: a
 * request per keystroke is the server's worst case.
 */
import { CompletionMetricsNotification } from "../server/protocol/completion";
import { positionAt, type OpenDocument } from "../test/support/lspHarness";
import type { Position } from "vscode-languageserver-protocol";
import type { BenchServer } from "./setup";
import { sleep } from "./stats";
import { TYPED_FUNCTION, TYPING_HEAD, TYPING_TAIL, keystrokes } from "./texts";

export interface TypingRound {
    keystrokes: number;
    /** Requests answered after the next keystroke was typed (cancelled by the client). */
    superseded: number;
    /** Server-side ms of every request answered before the next keystroke that ran the model. */
    modelLatencyMs: number[];
    /** Server-side ms of requests served from the typed-through cache. */
    cacheLatencyMs: number[];
    /** Model requests that returned no items (post-processing dropped the text). */
    emptyAnswers: number;
    /** Per generation (each keystroke that reached the model): prompt tokens evaluated / reused / total. */
    evaluated: number[];
    reused: number[];
    promptTokens: number[];
    /** Prompt tokens evaluated by answered Enter keystrokes (from their CompletionMetrics). */
    enterEvaluated: number[];
    wallMs: number;
}

interface Sent {
    at: Position;
    settled: boolean;
    superseded: boolean;
    items: number;
    cached: boolean | undefined;
    enter: boolean;
    evaluated: number | undefined;
}

const itemCount = (r: unknown): number => (r == null ? 0 : Array.isArray(r) ? r.length : (r as { items: unknown[] }).items.length);

/** Types into a new document `src/<name>.ts` starting at the blank line between TYPING_HEAD and TYPING_TAIL. */
export function openTypingDoc(s: BenchServer, name: string): { doc: OpenDocument; at: Position } {
    const doc = s.h.open(`src/${name}.ts`, TYPING_HEAD + TYPING_TAIL);
    return { doc, at: positionAt(doc.text, TYPING_HEAD.length) };
}

export async function typingRound(s: BenchServer, name: string, keystrokeMs: number): Promise<TypingRound> {
    const { h, timed } = s;
    const opened = openTypingDoc(s, name);
    const doc = opened.doc;
    let at = opened.at;
    const traceFrom = s.traces.length;
    const keys = keystrokes(TYPED_FUNCTION);
    const sent: Sent[] = [];
    let last: Promise<unknown> = Promise.resolve();
    let cancelPrevious: (() => void) | undefined;
    const started = performance.now();
    for (let i = 0; i < keys.length; i++) {
        const wait = started + i * keystrokeMs - performance.now();
        if (wait > 0) await sleep(wait);
        const prev = sent.at(-1);
        if (prev && !prev.settled) {
            prev.superseded = true;
            cancelPrevious?.();
        }
        at = h.type(doc, at, keys[i]!);
        const rec: Sent = { at, settled: false, superseded: false, items: 0, cached: undefined, enter: keys[i]!.startsWith("\n"), evaluated: undefined };
        const req = h.startInlineCompletion(doc, at);
        cancelPrevious = req.cancel;
        sent.push(rec);
        last = req.promise.then((r) => {
            rec.settled = true;
            rec.items = itemCount(r);
            // The server sends the metrics notification just before the response, on the same ordered channel.
            if (rec.items > 0) {
                const metrics = h.received(CompletionMetricsNotification.type).at(-1);
                rec.cached = metrics?.cached;
                rec.evaluated = metrics?.evaluatedPromptTokens;
            }
        }, () => { rec.settled = true; });
    }
    await last;
    const wallMs = performance.now() - started;

    const out: TypingRound = {
        keystrokes: keys.length, superseded: 0, modelLatencyMs: [], cacheLatencyMs: [], emptyAnswers: 0,
        evaluated: [], reused: [], promptTokens: [], enterEvaluated: [], wallMs,
    };
    for (const r of sent) {
        if (r.superseded) { out.superseded++; continue; }
        const span = timed.spanAt(doc.uri, r.at.line, r.at.character);
        if (!span) continue;
        if (r.cached === true) out.cacheLatencyMs.push(span.ms);
        else {
            out.modelLatencyMs.push(span.ms);
            if (r.items === 0) out.emptyAnswers++;
            if (r.enter && r.evaluated !== undefined) out.enterEvaluated.push(r.evaluated);
        }
    }
    for (const { trace } of s.traces.slice(traceFrom)) {
        if (trace.type !== "generation-end" || trace.uri !== doc.uri) continue;
        const st = trace.result.stats;
        if (st.evaluatedPromptTokens + st.reusedPromptTokens === 0) continue; // aborted while waiting for the session
        out.evaluated.push(st.evaluatedPromptTokens);
        out.reused.push(st.reusedPromptTokens);
        out.promptTokens.push(st.promptTokens);
    }
    h.close(doc);
    return out;
}
