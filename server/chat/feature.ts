/**
 * The chat feature: `glm4/chat` turns streamed as `glm4/chatDelta`, plus history (list/get/delete) and the
 * budget meter. Invariants:
 * - One `chat` ModelSession per loaded model, separate from completion's, so the two keep their own KV
 *   caches; chat generates at a lower priority than completion (the engine lets a completion go first
 *   between chat's prefill chunks and decode steps).
 * - Turn N+1's prompt starts with turn N's prompt + reply (see prompts/chat.ts), so the session re-evaluates
 *   only the new message.
 * - One running turn per conversation (Busy otherwise). Cancellation: the request token aborts the signal;
 *   the turn resolves with stopReason "abort" and the partial reply is stored.
 * - The user's message is stored before generation starts (so Retry works after a crash); on ModelNotLoaded
 *   nothing is stored.
 */
import * as path from "node:path";
import { LSPErrorCodes, ResponseError, type CancellationToken } from "vscode-languageserver";
import type { Feature, ServerContext } from "../feature";
import type { GenerateOptions, LanguageModel, ModelSession } from "../model/languageModel";
import { glm4Error } from "../protocol/errors";
import {
    ChatBudgetRequest, ChatDeleteRequest, ChatDeltaNotification, ChatGetRequest, ChatListRequest, ChatRequest,
    checkBudgetParams, checkChatParams, checkConversationIdParams,
    type ChatBudgetParams, type ChatMessage, type ChatNotice, type ChatParams, type ChatResult, type ChatStreamEvent,
    type ChatUsage, type Conversation,
} from "../protocol/chat";
import { DEFAULT_CHAT_SYSTEM_PROMPT } from "../prompts/chat";
import { fitConversation } from "./budget";
import { applyAction, isEmptyInput, newConversation, normalizeInput, userMessage, withMessages } from "./conversation";
import { ConversationStore, isValidConversationId, newId } from "./store";

/** Chat generates below completion (which uses a higher priority). */
export const CHAT_PRIORITY = 2;

export interface ChatFeatureOptions {
    /**
     * Sampling overrides for every turn. For tests and benchmarks: a grammar that accepts exactly one string
     * makes the real engine produce that reply. Also read from GLM4_CHAT_TEST_GRAMMAR (a GBNF text) when unset,
     * so the e2e test can force a reply through the packaged extension.
     */
    sampling?: Pick<GenerateOptions, "grammar" | "seed" | "temperature" | "topK" | "topP">;
    systemPrompt?: string;
    /** Where conversations are stored (default: <workspaceStoragePath>/chat, else <storagePath>/chat/no-workspace). */
    historyDir?: string;
}

export class ChatFeature implements Feature {
    readonly name = "chat";
    private ctx!: ServerContext;
    private storeInstance: ConversationStore | undefined;
    private chatSession: { model: LanguageModel; session: ModelSession } | undefined;
    private readonly running = new Map<string, AbortController>();
    private readonly sampling: ChatFeatureOptions["sampling"];

    constructor(private readonly options: ChatFeatureOptions = {}) {
        const envGrammar = process.env.GLM4_CHAT_TEST_GRAMMAR;
        this.sampling = options.sampling ?? (envGrammar ? { grammar: { kind: "gbnf", text: envGrammar } } : undefined);
    }

    register(ctx: ServerContext): void {
        this.ctx = ctx;
        const c = ctx.connection;
        c.onRequest(ChatRequest.type, (params, token) => this.guard(() => this.chat(params, token)));
        c.onRequest(ChatListRequest.type, () => this.guard(() => this.store.list()));
        c.onRequest(ChatGetRequest.type, (params) => this.guard(async () => {
            this.check(checkConversationIdParams, params);
            if (!isValidConversationId(params.conversationId)) throw glm4Error("InvalidParams", "bad conversation id");
            return (await this.store.get(params.conversationId)) ?? null;
        }));
        c.onRequest(ChatDeleteRequest.type, (params) => this.guard(async () => {
            this.check(checkConversationIdParams, params);
            if (!isValidConversationId(params.conversationId)) throw glm4Error("InvalidParams", "bad conversation id");
            if (this.running.has(params.conversationId)) throw glm4Error("Busy", "a reply in this conversation is still running");
            return { deleted: await this.store.delete(params.conversationId) };
        }));
        c.onRequest(ChatBudgetRequest.type, (params, token) => this.guard(() => this.budget(params, token)));
    }

    async dispose(): Promise<void> {
        for (const ac of this.running.values()) ac.abort();
        this.chatSession?.session.dispose();
        this.chatSession = undefined;
    }

    /** The history store, created on first use (after initialize, when the storage path is known). */
    get store(): ConversationStore {
        if (!this.storeInstance) {
            const dir = this.options.historyDir
                ?? (this.ctx.workspaceStoragePath ? path.join(this.ctx.workspaceStoragePath, "chat") : path.join(this.ctx.storagePath, "chat", "no-workspace"));
            this.storeInstance = new ConversationStore(dir, this.ctx.log);
        }
        return this.storeInstance;
    }

    private check(check: (v: unknown, at: string) => string | undefined, params: unknown): void {
        const problem = check(params, "params");
        if (problem) throw glm4Error("InvalidParams", problem);
    }

    /** Unexpected errors become Internal (logged); typed errors and cancellation pass through. */
    private async guard<T>(run: () => Promise<T>): Promise<T> {
        try {
            return await run();
        } catch (e) {
            if (e instanceof ResponseError) throw e;
            this.ctx.log.error(`chat: ${(e as Error)?.stack ?? e}`);
            throw glm4Error("Internal", `chat failed: ${(e as Error)?.message ?? e}`);
        }
    }

    private sessionFor(model: LanguageModel): ModelSession {
        if (this.chatSession?.model !== model) {
            this.chatSession?.session.dispose();
            this.chatSession = { model, session: model.openSession("chat") };
        }
        return this.chatSession.session;
    }

    private system(): string {
        return this.options.systemPrompt ?? DEFAULT_CHAT_SYSTEM_PROMPT;
    }

    private async chat(params: ChatParams, token: CancellationToken): Promise<ChatResult> {
        const received = Date.now();
        this.check(checkChatParams, params);
        if (params.conversationId !== undefined && !isValidConversationId(params.conversationId)) throw glm4Error("InvalidParams", "bad conversation id");
        let notices: ChatNotice[] = [];
        let input = params.input;
        if (input) {
            const n = normalizeInput(input);
            input = n.input;
            notices = n.notices;
        }
        if (params.action !== "retry" && (!input || isEmptyInput(input))) throw glm4Error("InvalidParams", "the message is empty");

        const ac = new AbortController();
        const onCancel = token.onCancellationRequested(() => ac.abort());
        const busyKey = params.conversationId ?? `new:${params.chatId}`;
        if (this.running.has(busyKey)) throw glm4Error("Busy", "a reply in this conversation is still running");
        this.running.set(busyKey, ac);
        try {
            const model = await this.ctx.models.acquire("chat", ac.signal).catch((e: unknown) => {
                if (ac.signal.aborted) throw new ResponseError(LSPErrorCodes.RequestCancelled, "cancelled");
                throw e;
            });
            let conv: Conversation;
            if (params.conversationId) {
                const stored = await this.store.get(params.conversationId);
                if (!stored) throw glm4Error("InvalidParams", `no conversation ${params.conversationId}`);
                conv = stored;
            } else {
                conv = newConversation();
                this.running.set(conv.id, ac);
            }
            const { history, last } = applyAction(conv, params.action, input);
            const settings = this.ctx.settings.get().chat;
            const fit = fitConversation({
                system: this.system(), history, last, contextSize: model.info.contextSize,
                maxReplyTokens: settings.maxTokens, countTokens: (t) => model.countTokens(t),
            });
            notices = notices.concat(fit.notices);
            const usage: ChatUsage = { ...fit.usage, truncated: notices.length > 0 };
            conv = withMessages(conv, [...history, last]);
            await this.store.save(conv);

            const replyId = newId("a");
            const send = (event: ChatStreamEvent): void => { void this.ctx.connection.sendNotification(ChatDeltaNotification.type, { chatId: params.chatId, event }); };
            send({ kind: "start", conversationId: conv.id, userMessage: last, replyId, usage, notices });
            let firstDelta = -1;
            const result = await this.sessionFor(model).generate(fit.prompt, {
                maxTokens: usage.maxReplyTokens,
                temperature: settings.temperature,
                signal: ac.signal,
                priority: CHAT_PRIORITY,
                ...this.sampling,
                onText: (text) => {
                    if (!text) return;
                    if (firstDelta < 0) firstDelta = Date.now() - received;
                    send({ kind: "text", text });
                },
            });
            const reply: ChatMessage = { id: replyId, role: "assistant", parts: [{ kind: "text", text: result.text }], createdAt: Date.now(), stopReason: result.stopReason };
            conv = withMessages(conv, [...conv.messages, reply]);
            await this.store.save(conv);
            this.ctx.log.debug(`chat ${conv.id}: ${result.stopReason}, prompt ${result.stats.promptTokens} (reused ${result.stats.reusedPromptTokens}), generated ${result.stats.generatedTokens}`);
            return {
                chatId: params.chatId, conversationId: conv.id, userMessage: last, reply, stopReason: result.stopReason,
                usage, notices, stats: { ...result.stats, timeToFirstDeltaMs: firstDelta },
            };
        } finally {
            onCancel.dispose();
            for (const [k, v] of this.running) if (v === ac) this.running.delete(k);
        }
    }

    private async budget(params: ChatBudgetParams, token: CancellationToken): Promise<{ usage: ChatUsage; notices: ChatNotice[] }> {
        this.check(checkBudgetParams, params);
        if (this.ctx.models.status.state !== "ready") throw glm4Error("ModelNotLoaded", "no model is loaded");
        const ac = new AbortController();
        const onCancel = token.onCancellationRequested(() => ac.abort());
        try {
            const model = await this.ctx.models.acquire("chat", ac.signal);
            const conv = params.conversationId && isValidConversationId(params.conversationId) ? await this.store.get(params.conversationId) : undefined;
            const { input, notices } = normalizeInput(params.input);
            const fit = fitConversation({
                system: this.system(), history: conv?.messages ?? [], last: userMessage(input),
                contextSize: model.info.contextSize, maxReplyTokens: this.ctx.settings.get().chat.maxTokens,
                countTokens: (t) => model.countTokens(t),
            });
            const all = notices.concat(fit.notices);
            return { usage: { ...fit.usage, truncated: all.length > 0 }, notices: all };
        } finally {
            onCancel.dispose();
        }
    }
}
