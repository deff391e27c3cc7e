/**
 * Chat scenarios over LSP:
 * - conversation: CONVERSATION's five turns in one conversation; per turn the engine's KV stats and the
 *   server-side time to the first text delta (ChatResult.stats).
 * - contention: inline completion latency (server-side, one keystroke then one awaited request, repeated) while
 *   idle vs while a long chat prefill runs in the chat session. A busy sample counts only if its response came
 *   before the chat's first text delta (i.e. during the prefill).
 */
import { ChatDeltaNotification, ChatRequest, type ChatResult, type ChatStats } from "../server/protocol/chat";
import type { BenchServer } from "./setup";
import { CONVERSATION, TYPED_FUNCTION, keystrokes, longMessage } from "./texts";
import { openTypingDoc } from "./typing";

let chatSeq = 0;
const chatId = (): string => `bench-${process.pid}-${++chatSeq}`;

export interface ConversationRun {
    turns: ChatStats[];
    notices: number;
}

export async function conversationRun(s: BenchServer): Promise<ConversationRun> {
    let conversationId: string | undefined;
    const turns: ChatStats[] = [];
    let notices = 0;
    for (const text of CONVERSATION) {
        const r: ChatResult = await s.h.request(ChatRequest.type, {
            chatId: chatId(), action: "send", input: { text }, ...(conversationId ? { conversationId } : {}),
        });
        conversationId = r.conversationId;
        turns.push(r.stats);
        notices += r.notices.length;
    }
    return { turns, notices };
}

export interface ContentionPrefill {
    /** The chat turn's prompt size, tokens evaluated, and its time to first token (≈ the prefill), ms. */
    promptTokens: number;
    evaluatedTokens: number;
    timeToFirstTokenMs: number;
    notices: number;
    /** Completion samples taken during this prefill. */
    samples: number;
}

export interface ContentionRun {
    /** Server-side ms of keystroke completions with the chat session idle / during a chat prefill (pooled). */
    idleMs: number[];
    busyMs: number[];
    prefills: ContentionPrefill[];
}

/**
 * Idle and busy phases alternate, idle first and last (I B I B ... I), each idle phase as long as the prefill
 * before it (the first: `firstIdleMs`), so both sides see the same machine load (it drifts on a shared machine).
 */
export async function contentionRun(s: BenchServer, prefills: number, firstIdleMs: number): Promise<ContentionRun> {
    const { h, timed } = s;
    const opened = openTypingDoc(s, "busy");
    const doc = opened.doc;
    let at = opened.at;
    const keys = keystrokes(TYPED_FUNCTION);
    let k = 0;
    /** One keystroke, then one awaited request: its server-side ms. */
    const keystroke = async (): Promise<number | undefined> => {
        at = h.type(doc, at, keys[k++ % keys.length]!);
        await h.inlineCompletion(doc, at);
        return timed.spanAt(doc.uri, at.line, at.character)?.ms;
    };
    await keystroke(); // the new document's first request evaluates the whole prompt: not a keystroke sample

    const out: ContentionRun = { idleMs: [], busyMs: [], prefills: [] };
    const idle = async (durationMs: number): Promise<void> => {
        const until = performance.now() + durationMs;
        while (performance.now() < until) {
            const ms = await keystroke();
            if (ms !== undefined) out.idleMs.push(ms);
        }
    };
    await idle(firstIdleMs);
    for (let round = 0; round < prefills; round++) {
        const id = chatId();
        const started = h.waitFor(ChatDeltaNotification.type, (p) => p.chatId === id && p.event.kind === "start", { timeoutMs: 600_000 });
        const firstText = h.waitFor(ChatDeltaNotification.type, (p) => p.chatId === id && p.event.kind === "text", { timeoutMs: 600_000 });
        let prefillDone = false;
        firstText.then(() => { prefillDone = true; }, () => { prefillDone = true; });
        const chat = h.request(ChatRequest.type, { chatId: id, action: "send", input: { text: longMessage(round) } });
        chat.catch(() => { prefillDone = true; });
        await started;
        const t0 = performance.now();
        let samples = 0;
        while (!prefillDone) {
            const ms = await keystroke();
            if (ms !== undefined && !prefillDone) { out.busyMs.push(ms); samples++; }
        }
        const busyFor = performance.now() - t0;
        const result = await chat;
        out.prefills.push({
            promptTokens: result.stats.promptTokens, evaluatedTokens: result.stats.evaluatedPromptTokens,
            timeToFirstTokenMs: result.stats.timeToFirstTokenMs, notices: result.notices.length, samples,
        });
        await idle(busyFor);
    }
    h.close(doc);
    return out;
}
