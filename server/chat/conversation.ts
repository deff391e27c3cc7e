/**
 * Pure conversation edits for one turn: normalizing the user's input (cutting oversize text, with notices)
 * and applying an action (send / retry / editLast) to the stored messages. No I/O, no model.
 */
import { glm4Error } from "../protocol/errors";
import {
    MAX_ATTACHMENT_CHARS, MAX_INPUT_CHARS,
    type ChatAction, type ChatInput, type ChatMessage, type ChatNotice, type Conversation,
} from "../protocol/chat";
import { newId, titleFor } from "./store";

const fmt = (n: number): string => n.toLocaleString("en-US");

/** Cuts oversize text (a 1 MB paste) to the protocol's limits; says what was cut. */
export function normalizeInput(input: ChatInput): { input: ChatInput; notices: ChatNotice[] } {
    const notices: ChatNotice[] = [];
    let text = input.text;
    if (text.length > MAX_INPUT_CHARS) {
        notices.push({ kind: "truncated", message: `Your message had ${fmt(text.length)} characters; only the first ${fmt(MAX_INPUT_CHARS)} were kept.` });
        text = text.slice(0, MAX_INPUT_CHARS);
    }
    const attachments = input.attachments?.map((a) => {
        if (a.text.length <= MAX_ATTACHMENT_CHARS) return a;
        notices.push({ kind: "truncated", message: `${a.label} had ${fmt(a.text.length)} characters; only the first ${fmt(MAX_ATTACHMENT_CHARS)} were kept.` });
        return { ...a, text: a.text.slice(0, MAX_ATTACHMENT_CHARS) };
    });
    const out: ChatInput = { text };
    if (input.command) out.command = input.command;
    if (attachments?.length) out.attachments = attachments;
    return { input: out, notices };
}

export function isEmptyInput(input: ChatInput): boolean {
    return input.text.trim() === "" && !input.command && !input.attachments?.length;
}

export function userMessage(input: ChatInput, now = Date.now()): ChatMessage {
    const m: ChatMessage = { id: newId("u"), role: "user", parts: [{ kind: "text", text: input.text }], createdAt: now };
    if (input.command) m.command = input.command;
    if (input.attachments?.length) m.attachments = input.attachments;
    return m;
}

export function newConversation(now = Date.now()): Conversation {
    return { id: newId("c"), title: "New chat", createdAt: now, updatedAt: now, messages: [] };
}

/**
 * Applies an action: returns the earlier messages (history) and the user message to answer. Throws
 * InvalidParams when the action makes no sense (nothing to retry, no input).
 */
export function applyAction(conv: Conversation, action: ChatAction, input: ChatInput | undefined): { history: ChatMessage[]; last: ChatMessage } {
    const lastUser = findLastIndex(conv.messages, (m) => m.role === "user");
    switch (action) {
        case "send":
            if (!input) throw glm4Error("InvalidParams", "send needs input");
            return { history: [...conv.messages], last: userMessage(input) };
        case "retry":
            if (lastUser < 0) throw glm4Error("InvalidParams", "there is no message to retry");
            return { history: conv.messages.slice(0, lastUser), last: conv.messages[lastUser]! };
        case "editLast":
            if (!input) throw glm4Error("InvalidParams", "editLast needs input");
            if (lastUser < 0) throw glm4Error("InvalidParams", "there is no message to edit");
            return { history: conv.messages.slice(0, lastUser), last: userMessage(input) };
    }
}

/** The conversation with `messages` as its content, title and time updated. */
export function withMessages(conv: Conversation, messages: ChatMessage[], now = Date.now()): Conversation {
    return { ...conv, messages, title: titleFor(messages), updatedAt: now };
}

function findLastIndex<T>(xs: readonly T[], pred: (x: T) => boolean): number {
    for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i]!)) return i;
    return -1;
}
