/**
 * Messages between the chat webview and the extension host. Two typed maps:
 * - `WebviewRequests`: webview -> extension, answered (a result or an error);
 * - `WebviewEvents`: extension -> webview, fire-and-forget (streamed deltas, commands from the editor).
 * Each side has one generic channel class (`media/chat/channel.ts`, `src/chat/webviewChannel.ts`). The chat
 * logic is in the server: `chat/*` and `history/*` requests are relayed to LSP unchanged; `context/*` and
 * `code/*` are editor services the host performs. Every message from the webview is shape-checked by the host
 * (`src/chat/validate.ts`); a wrong shape is ignored and logged.
 * Types only (plus constants): the webview bundle must not pull in LSP runtime code.
 */
import type {
    ChatAttachment, ChatBudgetParams, ChatDeltaParams, ChatNotice, ChatParams, ChatResult, ChatUsage, Conversation,
    ConversationSummary, SlashCommand,
} from "../../server/protocol/chat";
import type { ErrorKind } from "../../server/protocol/errors";
import type { ModelStatus } from "../../server/protocol/status";

export type {
    ChatAttachment, ChatDeltaParams, ChatNotice, ChatParams, ChatResult, ChatUsage, Conversation, ConversationSummary, SlashCommand,
};
export type { ChatInput, ChatMessage, ChatStreamEvent } from "../../server/protocol/chat";

type Empty = Record<string, never>;

export interface WebviewRequests {
    /** Sent once the webview has loaded. Result: whether a language server runs, and the model's status. */
    "init": { params: Empty; result: ServerState };
    /** One chat turn, relayed to `glm4/chat`; its deltas arrive as "chat/delta" events with the same chatId. */
    "chat/send": { params: ChatParams; result: ChatResult };
    /** Cancel a running turn (the relay cancels the LSP request's token). Result: whether it was running. */
    "chat/cancel": { params: { chatId: string }; result: { cancelled: boolean } };
    /** The token budget of a draft, relayed to `glm4/chat/budget`. */
    "chat/budget": { params: ChatBudgetParams; result: { usage: ChatUsage; notices: ChatNotice[] } };
    "history/list": { params: Empty; result: ConversationSummary[] };
    "history/get": { params: { conversationId: string }; result: Conversation | null };
    "history/delete": { params: { conversationId: string }; result: { deleted: boolean } };
    /** The active editor's selection (null: no editor or an empty selection). */
    "context/selection": { params: Empty; result: ChatAttachment | null };
    /** The active editor's whole file (null: no editor). */
    "context/activeFile": { params: Empty; result: ChatAttachment | null };
    /** A quick-pick over workspace files (`@file`); null when dismissed. */
    "context/pickFile": { params: Empty; result: ChatAttachment | null };
    /** Current diagnostics (`@problems`); null when there are none. */
    "context/problems": { params: Empty; result: ChatAttachment | null };
    "code/copy": { params: { code: string }; result: Empty };
    /** Insert at the cursor of the active editor (or a new untitled editor when there is none). */
    "code/insert": { params: { code: string; languageId?: string }; result: { inserted: boolean } };
    /** Propose the code for the active file as a diff; applied with a WorkspaceEdit only if the user accepts. */
    "code/apply": { params: { code: string; languageId?: string }; result: { applied: boolean; reason?: string } };
    "showLogs": { params: Empty; result: Empty };
}

export interface WebviewEvents {
    "chat/delta": ChatDeltaParams;
    /** The language server started or stopped, or the model's status changed. */
    "server/state": ServerState;
    /** Attach this (glm4.chat.addSelection / addFile). */
    "context/add": { attachment: ChatAttachment };
    /** Run a slash command on this selection now (glm4.chat.explain / fix / tests / doc). */
    "prompt/run": { command: SlashCommand; attachment: ChatAttachment };
    /** glm4.chat.new */
    "chat/new": Empty;
    /** glm4.chat.history */
    "history/show": Empty;
}

export interface ServerState {
    serverAvailable: boolean;
    /** The model's status (undefined while unknown). */
    model?: ModelStatus;
}

export type RequestMethod = keyof WebviewRequests;
export type EventName = keyof WebviewEvents;
export type RequestParams<M extends RequestMethod> = WebviewRequests[M]["params"];
export type RequestResult<M extends RequestMethod> = WebviewRequests[M]["result"];

/** Every request method, for the host's validator table (a type test keeps it complete). */
export const REQUEST_METHODS = [
    "init", "chat/send", "chat/cancel", "chat/budget", "history/list", "history/get", "history/delete",
    "context/selection", "context/activeFile", "context/pickFile", "context/problems", "code/copy", "code/insert",
    "code/apply", "showLogs",
] as const satisfies readonly RequestMethod[];

/** Why a request failed: the server's error kind, or "ServerUnavailable" when no server runs. */
export interface WireError {
    message: string;
    kind?: ErrorKind | "ServerUnavailable";
}

/** The wire format (what `postMessage` carries). */
export type WireMessage =
    | { type: "request"; id: number; method: string; params: unknown }
    | { type: "response"; id: number; result?: unknown; error?: WireError }
    | { type: "event"; event: string; params: unknown };
