/**
 * The chat view: wires the composer, the message list and the history panel to the channel. Holds only UI
 * state (the open conversation's id, the running turn); the conversation itself lives in the server.
 * Failure rules: a message the server did not store (server down, model not loaded) goes back into the input
 * box, with Retry and Show logs; a stored one gets Retry (answer it again).
 */
import type { ChatAction, ChatInput, ChatStreamEvent } from "../../server/protocol/chat";
import { RequestError, type WebviewChannel } from "./channel";
import { Composer } from "./composer";
import { button, h } from "./dom";
import { HistoryPanel } from "./history";
import { MessageList, type CodeAction, type ReplyView } from "./messages";
import type { ServerState } from "./protocol";

export interface StateStore {
    getState(): unknown;
    setState(state: unknown): void;
}

interface SavedState {
    conversationId?: string;
    draft?: string;
}

interface RunningTurn {
    chatId: string;
    action: ChatAction;
    input: ChatInput | undefined;
    reply: ReplyView;
    userEl: HTMLElement | undefined;
    /** The server stored the user message (the "start" event came). */
    started: boolean;
    /** New chat was started meanwhile: the turn is stopped and its outcome no longer shown. */
    abandoned: boolean;
}

export class ChatView {
    private conversationId: string | undefined;
    private running: RunningTurn | undefined;
    private readonly composer: Composer;
    private readonly messages: MessageList;
    private readonly history: HistoryPanel;
    private readonly banner: HTMLElement;
    private budgetTimer: ReturnType<typeof setTimeout> | undefined;
    private budgetSeq = 0;
    private modelReady = false;

    constructor(root: HTMLElement, private readonly channel: WebviewChannel, private readonly state: StateStore) {
        this.composer = new Composer({
            send: (input) => void this.run(this.composer.editing ? "editLast" : "send", input),
            stop: () => void this.stop(),
            attach: (what) => this.channel.request(`context/${what}`, {}).catch((e: Error) => { this.composer.showNotice(e.message, "warning"); return null; }),
            draftChanged: () => this.draftChanged(),
        });
        this.messages = new MessageList({
            codeAction: (action, code, languageId) => this.codeAction(action, code, languageId),
            retry: () => void this.run("retry", undefined),
            editLast: () => void this.editLast(),
        });
        this.history = new HistoryPanel({
            list: () => this.channel.request("history/list", {}),
            open: (id) => void this.open(id),
            remove: async (id) => {
                await this.channel.request("history/delete", { conversationId: id });
                if (id === this.conversationId) this.newChat();
            },
        });
        this.banner = h("div", { class: "banner", attrs: { hidden: "", role: "alert" } });
        const toolbar = h("header", { class: "toolbar" },
            button("New chat", () => this.newChat(), { class: "link", title: "Start a new conversation" }),
            button("History", () => void (this.history.visible ? this.history.hide() : this.history.show()), { class: "link", title: "Open an earlier conversation" }));
        root.replaceChildren(toolbar, this.banner, this.history.el, this.messages.el, this.composer.el);

        channel.on("chat/delta", (p) => { if (p.chatId === this.running?.chatId) this.onStream(this.running, p.event); });
        channel.on("server/state", (p) => this.setServerState(p));
        channel.on("context/add", (p) => { this.composer.addAttachment(p.attachment); this.composer.focus(); });
        channel.on("prompt/run", (p) => {
            if (this.running) this.composer.showNotice(`Wait for the current reply (or Stop it), then run /${p.command} again.`, "warning");
            else void this.run("send", { text: "", command: p.command, attachments: [p.attachment] });
        });
        channel.on("chat/new", () => this.newChat());
        channel.on("history/show", () => void this.history.show());
    }

    async start(): Promise<void> {
        const saved = (this.state.getState() ?? {}) as SavedState;
        if (saved.draft) this.composer.setDraft(saved.draft);
        this.setServerState(await this.channel.request("init", {}));
        if (saved.conversationId) await this.open(saved.conversationId);
        this.composer.focus();
        this.refreshBudget();
    }

    private save(): void {
        this.state.setState({ conversationId: this.conversationId, draft: this.composer.text } satisfies SavedState);
    }

    /** The banner says when the server is down or the model is not ready; the meter refreshes when it is. */
    private setServerState(state: ServerState): void {
        const model = state.model;
        let problem: string | undefined;
        if (!state.serverAvailable) problem = "The GLM-4 language server is not running.";
        else if (model?.state === "error") problem = `The model could not be loaded: ${model.error ?? "see the logs"}.`;
        else if (model && model.state !== "ready") problem = model.state === "downloading" || model.state === "loading"
            ? `The model is ${model.state}${model.progress !== undefined ? ` (${Math.round(model.progress * 100)}%)` : ""}…`
            : undefined;
        this.banner.hidden = problem === undefined;
        if (problem) {
            this.banner.replaceChildren(h("span", {}, `${problem} `), button("Show logs", () => void this.channel.request("showLogs", {}), { class: "link" }));
        }
        const ready = state.serverAvailable && model?.state === "ready";
        if (ready && !this.modelReady) this.refreshBudget();
        this.modelReady = ready;
    }

    private newChat(): void {
        if (this.running) {
            this.running.abandoned = true;
            void this.stop();
        }
        this.conversationId = undefined;
        this.messages.clear();
        this.composer.editing = false;
        this.save();
        this.refreshBudget();
        this.composer.focus();
    }

    private async open(id: string): Promise<void> {
        if (this.running) {
            this.composer.showNotice("Wait for the current reply (or Stop it) before opening another conversation.", "warning");
            return;
        }
        const conv = await this.channel.request("history/get", { conversationId: id }).catch(() => null);
        if (!conv) {
            if (id === this.conversationId) this.conversationId = undefined;
            this.save();
            return;
        }
        this.conversationId = conv.id;
        this.messages.render(conv.messages);
        this.save();
        this.refreshBudget();
    }

    private async run(action: ChatAction, input: ChatInput | undefined): Promise<void> {
        if (this.running) return;
        this.history.hide();
        this.composer.clearNotice();
        if (action === "editLast") this.messages.removeFromLastUser(true);
        if (action === "retry") this.messages.removeFromLastUser(false);
        const userEl = input && action !== "retry" ? this.messages.userFromInput(input) : undefined;
        if (action !== "retry") this.composer.clear();
        const turn: RunningTurn = {
            chatId: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
            action, input, userEl, reply: this.messages.startReply(), started: false, abandoned: false,
        };
        this.running = turn;
        this.composer.setRunning(true);
        this.messages.updateAffordances(true);
        try {
            const params = { chatId: turn.chatId, action, ...(this.conversationId ? { conversationId: this.conversationId } : {}), ...(input ? { input } : {}) };
            const result = await this.channel.request("chat/send", params);
            if (turn.abandoned) return;
            this.conversationId = result.conversationId;
            turn.reply.el.dataset.id = result.reply.id;
            turn.reply.finish(result.reply.parts.map((p) => (p.kind === "text" ? p.text : "")).join(""), result.stopReason);
            this.composer.showUsage(result.usage, result.notices);
        } catch (e) {
            this.running = undefined;
            if (!turn.abandoned) await this.failed(turn, e);
        } finally {
            this.running = undefined;
            this.composer.setRunning(false);
            this.messages.updateAffordances(false);
            this.save();
            this.refreshBudget();
        }
    }

    private onStream(turn: RunningTurn, event: ChatStreamEvent): void {
        if (turn.abandoned) return;
        if (event.kind === "start") {
            turn.started = true;
            this.conversationId = event.conversationId;
            if (turn.userEl) turn.userEl.dataset.id = event.userMessage.id;
            for (const n of event.notices) turn.reply.el.before(h("div", { class: `notice ${n.kind}`, attrs: { role: "status" } }, n.message));
            this.composer.showUsage(event.usage, event.notices);
            this.save();
        } else if (event.kind === "text") {
            turn.reply.append(event.text);
        }
    }

    private async failed(turn: RunningTurn, e: unknown): Promise<void> {
        turn.reply.el.remove();
        const kind = e instanceof RequestError ? e.kind : undefined;
        const message = (e as Error)?.message ?? String(e);
        const text = kind === "ServerUnavailable" ? `The GLM-4 server is not available: ${message}`
            : kind === "ModelNotLoaded" ? (/^no model/i.test(message) ? message : `No model is loaded: ${message}`)
            : kind === "Busy" ? `Busy: ${message}`
            : `The reply failed: ${message}`;
        if (!turn.started) {
            // Not stored: put the message back where the user typed it, and show the conversation as stored.
            turn.userEl?.remove();
            if (turn.input && !this.composer.text.trim()) this.composer.setDraft(turn.input.text, turn.input.attachments ?? [], turn.input.command);
            if (turn.action !== "send" && this.conversationId) await this.open(this.conversationId);
        }
        const retry = turn.started ? () => void this.run("retry", undefined) : () => {
            if (turn.input && this.composer.text === (turn.input.command ? `/${turn.input.command} ${turn.input.text}` : turn.input.text)) this.composer.clear();
            void this.run(turn.action, turn.input);
        };
        this.messages.addError(text, [
            { label: "Retry", run: retry },
            { label: "Show logs", run: () => void this.channel.request("showLogs", {}) },
        ]);
    }

    private async stop(): Promise<void> {
        const turn = this.running;
        if (turn) await this.channel.request("chat/cancel", { chatId: turn.chatId }).catch(() => undefined);
    }

    private async editLast(): Promise<void> {
        if (this.running || !this.conversationId) return;
        const conv = await this.channel.request("history/get", { conversationId: this.conversationId }).catch(() => null);
        const last = conv?.messages.filter((m) => m.role === "user").at(-1);
        if (!last) return;
        const text = last.parts.map((p) => (p.kind === "text" ? p.text : "")).join("");
        this.composer.setDraft(text, last.attachments ?? [], last.command);
        this.composer.editing = true;
        this.composer.setRunning(false);
        this.composer.showNotice("Editing your last message: Resend replaces it and its reply.");
        this.composer.focus();
    }

    private async codeAction(action: CodeAction, code: string, languageId: string | undefined): Promise<string | undefined> {
        try {
            if (action === "copy") {
                await this.channel.request("code/copy", { code });
                return "Copied";
            }
            const params = languageId ? { code, languageId } : { code };
            if (action === "insert") return (await this.channel.request("code/insert", params)).inserted ? "Inserted" : "Not inserted";
            const r = await this.channel.request("code/apply", params);
            if (!r.applied && r.reason) this.composer.showNotice(r.reason, "warning");
            return r.applied ? "Applied" : "Not applied";
        } catch (e) {
            this.composer.showNotice((e as Error).message, "warning");
            return undefined;
        }
    }

    private draftChanged(): void {
        this.save();
        if (this.budgetTimer) clearTimeout(this.budgetTimer);
        this.budgetTimer = setTimeout(() => this.refreshBudget(), 400);
    }

    private refreshBudget(): void {
        if (this.running) return;
        const seq = ++this.budgetSeq;
        const params = { input: this.composer.draft(), ...(this.conversationId ? { conversationId: this.conversationId } : {}) };
        this.channel.request("chat/budget", params).then(
            (r) => { if (seq === this.budgetSeq) this.composer.showUsage(r.usage, r.notices); },
            (e: unknown) => {
                if (seq !== this.budgetSeq) return;
                const kind = e instanceof RequestError ? e.kind : undefined;
                this.composer.showUsage(undefined, [], kind === "ModelNotLoaded" ? "model not loaded" : kind === "ServerUnavailable" ? "server not running" : "");
            });
    }
}
