/**
 * Sidebar chat over LSP. LSP has no chat concept, so these are custom `glm4/chat...` messages. The logic
 * (prompting, budget, history) lives in the server; the extension only relays them to the webview.
 * This module imports nothing but protocol types, so the extension and the webview may import its types.
 *
 * Message model, designed for the agent issue that comes later: a conversation is a list of messages; a
 * message is a list of parts. Today the server produces `text` parts; `toolCall` / `toolResult` parts (GLM-4's
 * native `<|assistant|>name\n{json}` then `<|observation|>\n{result}` turns) and `editProposal` parts (a
 * `WorkspaceEdit` the client previews and the user accepts) are already typed, stored, rendered into prompts
 * and streamed with the same `ChatStreamEvent` shape, so adding the agent adds producers, not new shapes.
 */
import { MessageDirection, NotificationType, RequestType } from "vscode-languageserver-protocol";
import type { Range, WorkspaceEdit } from "vscode-languageserver-protocol";

// ---------------------------------------------------------------------------------------------------------
// Data model
// ---------------------------------------------------------------------------------------------------------

import { MAX_ATTACHMENT_CHARS, MAX_ATTACHMENTS, MAX_INPUT_CHARS, SlashCommands } from "./chatConstants";

export { MAX_ATTACHMENT_CHARS, MAX_ATTACHMENTS, MAX_INPUT_CHARS, SlashCommands, type SlashCommand } from "./chatConstants";
import type { SlashCommand } from "./chatConstants";

/** Context the user attached to a message. The text is captured by the client when attached. */
export interface ChatAttachment {
    /** `selection`: the editor selection; `file`: a whole file (active file or `@file`); `problems`: diagnostics. */
    kind: "selection" | "file" | "problems";
    /** Short label shown on the chip and in the prompt, e.g. `src/a.ts:10-20` or `@problems`. */
    label: string;
    /** Document URI (selection, file). */
    uri?: string;
    /** VS Code language id, used as the code fence's language. */
    languageId?: string;
    /** The selected range (selection). */
    range?: Range;
    /** The content: the code, or the diagnostics as text lines. */
    text: string;
}

/** Plain text. In assistant messages: exactly what the model generated (re-rendered verbatim for KV reuse). */
export interface TextPart {
    kind: "text";
    text: string;
}

/** A tool call the model made (agent issue): rendered as `<|assistant|>{name}\n{arguments}`. */
export interface ToolCallPart {
    kind: "toolCall";
    callId: string;
    name: string;
    /** The arguments as JSON text, exactly as generated. */
    arguments: string;
}

/** A tool's result (agent issue): rendered as `<|observation|>\n{result}`. */
export interface ToolResultPart {
    kind: "toolResult";
    callId: string;
    name: string;
    result: string;
    isError?: boolean;
}

/** An edit the model proposes (agent issue); never applied by the server, the client previews it. */
export interface EditProposalPart {
    kind: "editProposal";
    proposalId: string;
    label: string;
    edit: WorkspaceEdit;
    state: "proposed" | "accepted" | "rejected";
}

export type ChatPart = TextPart | ToolCallPart | ToolResultPart | EditProposalPart;
export type ChatPartKind = ChatPart["kind"];

export type ChatRole = "user" | "assistant" | "tool";

export interface ChatMessage {
    id: string;
    role: ChatRole;
    parts: ChatPart[];
    /** User messages: attached context (rendered into the prompt before the text). */
    attachments?: ChatAttachment[];
    /** User messages: the slash command, if any. */
    command?: SlashCommand;
    /** Epoch ms. */
    createdAt: number;
    /** Assistant messages: how generation ended ("abort" = stopped by the user). */
    stopReason?: ChatStopReason;
}

export type ChatStopReason = "eog" | "stop" | "maxTokens" | "abort" | "timeout" | "custom";

export interface Conversation {
    id: string;
    title: string;
    createdAt: number;
    updatedAt: number;
    messages: ChatMessage[];
}

export interface ConversationSummary {
    id: string;
    title: string;
    createdAt: number;
    updatedAt: number;
    messageCount: number;
}

/** Something the user must be told about a turn (never a silent cut). */
export interface ChatNotice {
    kind: "truncated" | "info";
    message: string;
}

/** The token budget of a turn, against the model's real context size. */
export interface ChatUsage {
    /** Loaded context size of the model, tokens. */
    contextSize: number;
    /**
     * Tokens of the prompt as sent (after any truncation), counted with the model's tokenizer. The engine keeps
     * an earlier reply as the tokens it sampled, which may be a few off this count; the reply reserve absorbs it.
     */
    promptTokens: number;
    /** Tokens the reply may use (min of the chat.maxTokens setting and what is left). */
    maxReplyTokens: number;
    /** Whether anything was cut to fit (the notices say what). */
    truncated: boolean;
}

/** The user's new message. */
export interface ChatInput {
    text: string;
    command?: SlashCommand;
    attachments?: ChatAttachment[];
}

// ---------------------------------------------------------------------------------------------------------
// glm4/chat: one turn, streamed
// ---------------------------------------------------------------------------------------------------------

export type ChatAction =
    /** Append `input` as a new user message and answer it. */
    | "send"
    /** Answer the last user message again (drops the assistant reply after it, if any). `input` is ignored. */
    | "retry"
    /** Replace the last user message (and what follows it) with `input`, then answer it. */
    | "editLast";

export interface ChatParams {
    /** Client-chosen key of this turn's stream (unique per request); every ChatDeltaNotification carries it. */
    chatId: string;
    /** The conversation; absent = start a new one (its id comes in the "start" event and the result). */
    conversationId?: string;
    action: ChatAction;
    /** Required for "send" and "editLast". */
    input?: ChatInput;
}

export interface ChatResult {
    chatId: string;
    conversationId: string;
    /** The user message this turn answered. */
    userMessage: ChatMessage;
    /** The reply as stored (partial if stopped). */
    reply: ChatMessage;
    stopReason: ChatStopReason;
    usage: ChatUsage;
    notices: ChatNotice[];
    /** Engine stats (KV reuse, time to first token): what `npm run bench` reads. */
    stats: ChatStats;
}

export interface ChatStats {
    promptTokens: number;
    reusedPromptTokens: number;
    evaluatedPromptTokens: number;
    generatedTokens: number;
    timeToFirstTokenMs: number;
    totalMs: number;
    /** Server-side: request received -> first text delta sent (ms); -1 when no text was generated. */
    timeToFirstDeltaMs: number;
}

/**
 * One chat turn (client -> server). The server appends/replaces the user message, fits the conversation into
 * the model's context (oldest turns, then attachments, then the middle of the last message are cut, each cut
 * reported as a notice), streams `ChatDeltaNotification`s with the same `chatId` (first a "start" event, then
 * "text" deltas) and resolves when generation ends; the conversation is saved before it resolves.
 * Params: ChatParams. Result: ChatResult.
 * Errors (ResponseError, data.kind): InvalidParams (bad shape, unknown conversation, nothing to retry, empty
 * message), ModelNotLoaded (no model; the user's message is not stored), Busy (a turn of the same conversation
 * is running), Internal.
 * Cancellation: the request token. Generation stops within one decode step; the request still resolves, with
 * `stopReason: "abort"` and the partial reply stored.
 */
export namespace ChatRequest {
    export const method = "glm4/chat";
    export const messageDirection = MessageDirection.clientToServer;
    export const type = new RequestType<ChatParams, ChatResult, void>(method);
}

/** What a turn streams. Later kinds (agent): "part" with a toolCall / toolResult / editProposal part. */
export type ChatStreamEvent =
    /** Sent once, before generation: the ids, the stored user message, the budget and any truncation notices. */
    | { kind: "start"; conversationId: string; userMessage: ChatMessage; replyId: string; usage: ChatUsage; notices: ChatNotice[] }
    /** Generated text, appended to the reply's last text part. */
    | { kind: "text"; text: string }
    /** A whole non-text part appended to the reply (agent issue). */
    | { kind: "part"; part: ChatPart };

export interface ChatDeltaParams {
    chatId: string;
    event: ChatStreamEvent;
}

/**
 * A streamed piece of a running turn (server -> client). Params: ChatDeltaParams, keyed by the request's
 * `chatId`. No result. Sent only between the request and its response, in order.
 */
export namespace ChatDeltaNotification {
    export const method = "glm4/chatDelta";
    export const messageDirection = MessageDirection.serverToClient;
    export const type = new NotificationType<ChatDeltaParams>(method);
}

// ---------------------------------------------------------------------------------------------------------
// History and budget
// ---------------------------------------------------------------------------------------------------------

/**
 * The stored conversations of this workspace, newest first (client -> server). Params: none (an empty object).
 * Result: ConversationSummary[]. Errors: none (unreadable files are skipped and logged). Cancellation: none.
 */
export namespace ChatListRequest {
    export const method = "glm4/chat/list";
    export const messageDirection = MessageDirection.clientToServer;
    export const type = new RequestType<Record<string, never>, ConversationSummary[], void>(method);
}

/**
 * One stored conversation (client -> server). Params: { conversationId }. Result: Conversation, or null when
 * there is none. Errors: InvalidParams (bad id). Cancellation: none.
 */
export namespace ChatGetRequest {
    export const method = "glm4/chat/get";
    export const messageDirection = MessageDirection.clientToServer;
    export const type = new RequestType<{ conversationId: string }, Conversation | null, void>(method);
}

/**
 * Delete a stored conversation (client -> server). Params: { conversationId }. Result: { deleted } (false when
 * there was none). Errors: InvalidParams (bad id), Busy (a turn of it is running). Cancellation: none.
 */
export namespace ChatDeleteRequest {
    export const method = "glm4/chat/delete";
    export const messageDirection = MessageDirection.clientToServer;
    export const type = new RequestType<{ conversationId: string }, { deleted: boolean }, void>(method);
}

export interface ChatBudgetParams {
    conversationId?: string;
    /** The draft (not sent yet). */
    input: ChatInput;
}

/**
 * The token budget the next turn would have with this draft (client -> server), for the budget meter.
 * Params: ChatBudgetParams. Result: ChatUsage plus the notices the turn would get.
 * Errors: ModelNotLoaded (no model to count with; the meter shows nothing), InvalidParams.
 * Cancellation: the request token (the client cancels stale drafts).
 */
export namespace ChatBudgetRequest {
    export const method = "glm4/chat/budget";
    export const messageDirection = MessageDirection.clientToServer;
    export const type = new RequestType<ChatBudgetParams, { usage: ChatUsage; notices: ChatNotice[] }, void>(method);
}

/** Every chat message type, for the protocol sync test. */
export const ChatProtocol = [
    ChatRequest, ChatDeltaNotification, ChatListRequest, ChatGetRequest, ChatDeleteRequest, ChatBudgetRequest,
] as const;

// ---------------------------------------------------------------------------------------------------------
// Shape checks for untrusted input (LSP params on the server, webview messages in the relay). Each returns
// undefined when the value has the shape, else a short description of the first problem.
// ---------------------------------------------------------------------------------------------------------

export type ShapeCheck = (v: unknown, at: string) => string | undefined;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Small combinators for the checks below (and the webview relay's). */
export const shape = {
    string: (maxLength = Number.MAX_SAFE_INTEGER): ShapeCheck => (v, at) =>
        typeof v !== "string" ? `${at} should be a string` : v.length > maxLength ? `${at} is longer than ${maxLength}` : undefined,
    number: (): ShapeCheck => (v, at) => (typeof v === "number" && Number.isFinite(v) ? undefined : `${at} should be a number`),
    boolean: (): ShapeCheck => (v, at) => (typeof v === "boolean" ? undefined : `${at} should be a boolean`),
    literal: (...values: readonly (string | number | boolean | null)[]): ShapeCheck => (v, at) =>
        values.includes(v as string) ? undefined : `${at} should be one of ${values.map((x) => JSON.stringify(x)).join(", ")}`,
    optional: (inner: ShapeCheck): ShapeCheck => (v, at) => (v === undefined ? undefined : inner(v, at)),
    array: (item: ShapeCheck, maxItems = Number.MAX_SAFE_INTEGER): ShapeCheck => (v, at) => {
        if (!Array.isArray(v)) return `${at} should be an array`;
        if (v.length > maxItems) return `${at} has more than ${maxItems} items`;
        for (let i = 0; i < v.length; i++) {
            const p = item(v[i], `${at}[${i}]`);
            if (p) return p;
        }
        return undefined;
    },
    /** An object with these keys (others are rejected, so typos do not pass silently). */
    object: (fields: Record<string, ShapeCheck>): ShapeCheck => (v, at) => {
        if (!isObj(v)) return `${at} should be an object`;
        for (const k of Object.keys(v)) if (!(k in fields)) return `${at}.${k} is not expected`;
        for (const [k, check] of Object.entries(fields)) {
            const p = check(v[k], `${at}.${k}`);
            if (p) return p;
        }
        return undefined;
    },
    /** A union discriminated by `kind`. */
    byKind: (variants: Record<string, ShapeCheck>): ShapeCheck => (v, at) => {
        if (!isObj(v) || typeof v.kind !== "string" || !(v.kind in variants)) return `${at}.kind should be one of ${Object.keys(variants).join(", ")}`;
        return variants[v.kind]!(v, at);
    },
    any: (): ShapeCheck => () => undefined,
};

const S = shape;
const position = S.object({ line: S.number(), character: S.number() });
const range = S.object({ start: position, end: position });
const ID = 200;

export const checkAttachment: ShapeCheck = S.object({
    kind: S.literal("selection", "file", "problems"),
    label: S.string(500),
    uri: S.optional(S.string(4000)),
    languageId: S.optional(S.string(100)),
    range: S.optional(range),
    // Oversized text is accepted and cut by the server (with a notice); this bounds what crosses at all.
    text: S.string(16 * MAX_ATTACHMENT_CHARS),
});

export const checkChatInput: ShapeCheck = S.object({
    // A 1 MB paste is accepted and cut (with a notice); larger is refused.
    text: S.string(16 * MAX_INPUT_CHARS),
    command: S.optional(S.literal(...SlashCommands)),
    attachments: S.optional(S.array(checkAttachment, MAX_ATTACHMENTS)),
});

export const checkChatParams: ShapeCheck = S.object({
    chatId: S.string(ID),
    conversationId: S.optional(S.string(ID)),
    action: S.literal("send", "retry", "editLast"),
    input: S.optional(checkChatInput),
});

export const checkBudgetParams: ShapeCheck = S.object({
    conversationId: S.optional(S.string(ID)),
    input: checkChatInput,
});

export const checkConversationIdParams: ShapeCheck = S.object({ conversationId: S.string(ID) });

const stopReason = S.literal("eog", "stop", "maxTokens", "abort", "timeout", "custom");
export const checkChatPart: ShapeCheck = S.byKind({
    text: S.object({ kind: S.any(), text: S.string() }),
    toolCall: S.object({ kind: S.any(), callId: S.string(), name: S.string(), arguments: S.string() }),
    toolResult: S.object({ kind: S.any(), callId: S.string(), name: S.string(), result: S.string(), isError: S.optional(S.boolean()) }),
    editProposal: S.object({ kind: S.any(), proposalId: S.string(), label: S.string(), edit: S.any(), state: S.literal("proposed", "accepted", "rejected") }),
});

export const checkChatMessage: ShapeCheck = S.object({
    id: S.string(ID),
    role: S.literal("user", "assistant", "tool"),
    parts: S.array(checkChatPart),
    attachments: S.optional(S.array(checkAttachment)),
    command: S.optional(S.literal(...SlashCommands)),
    createdAt: S.number(),
    stopReason: S.optional(stopReason),
});

export const checkConversation: ShapeCheck = S.object({
    id: S.string(ID),
    title: S.string(),
    createdAt: S.number(),
    updatedAt: S.number(),
    messages: S.array(checkChatMessage),
});
