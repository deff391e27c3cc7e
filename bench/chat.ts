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

export interface ContentionRound {
    idleMs: number[];
    busyMs: number[];
    /** The chat turn's prompt size and its time to first token (≈ the prefill), from ChatResult.stats. */
    chatPromptTokens: number;
    chatEvaluatedTokens: number;
    chatTimeToFirstTokenMs: number;
    chatNotices: number;
}

export async function contentionRound(s: BenchServer, name: string, idleSamples: number): Promise<ContentionRound> {
    const { h, timed } = s;
    const opened = openTypingDoc(s, name);
    const doc = opened.doc;
    let at = opened.at;
    const keys = keystrokes(TYPED_FUNCTION);
    let k = 0;
    /** One keystroke, then one awaited request: its server-side ms (undefined if it did not run the model). */
    const keystroke = async (): Promise<{ ms: number; end: number } | undefined> => {
        at = h.type(doc, at, keys[k++ % keys.length]!);
        await h.inlineCompletion(doc, at);
        const span = timed.spanAt(doc.uri, at.line, at.character);
        return span ? { ms: span.ms, end: span.end } : undefined;
    };
    await keystroke(); // the new document's first request evaluates the whole prompt: not a keystroke sample

    const idleMs: number[] = [];
    for (let i = 0; i < idleSamples; i++) {
        const r = await keystroke();
        if (r) idleMs.push(r.ms);
    }

    const id = chatId();
    const started = h.waitFor(ChatDeltaNotification.type, (p) => p.chatId === id && p.event.kind === "start", { timeoutMs: 600_000 });
    const firstText = h.waitFor(ChatDeltaNotification.type, (p) => p.chatId === id && p.event.kind === "text", { timeoutMs: 600_000 });
    let prefillDone = false;
    firstText.then(() => { prefillDone = true; }, () => { prefillDone = true; });
    const chat = h.request(ChatRequest.type, { chatId: id, action: "send", input: { text: longMessage() } });
    chat.catch(() => { prefillDone = true; });
    await started;
    const busyMs: number[] = [];
    while (!prefillDone) {
        const r = await keystroke();
        if (r && !prefillDone) busyMs.push(r.ms);
    }
    const result = await chat;
    h.close(doc);
    return {
        idleMs, busyMs,
        chatPromptTokens: result.stats.promptTokens,
        chatEvaluatedTokens: result.stats.evaluatedPromptTokens,
        chatTimeToFirstTokenMs: result.stats.timeToFirstTokenMs,
        chatNotices: result.notices.length,
    };
}
