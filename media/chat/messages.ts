/**
 * The message list: user messages (plain text + chips), assistant replies (sanitized markdown, re-rendered at
 * most once per animation frame while streaming), notices and errors. Code-block buttons are handled by one
 * delegated click listener; the code is read from the rendered block's textContent.
 */
import type { ChatAttachment, ChatInput, ChatMessage, ChatNotice, ChatStopReason } from "../../server/protocol/chat";
import { button, h } from "./dom";
import { renderMarkdown } from "./sanitize";

export type CodeAction = "copy" | "insert" | "apply";

export interface MessageListHost {
    codeAction(action: CodeAction, code: string, languageId: string | undefined): Promise<string | undefined>;
    retry(): void;
    editLast(): void;
}

const STOP_NOTES: Partial<Record<ChatStopReason, string>> = {
    abort: "Stopped.",
    maxTokens: "The reply reached its token limit (glm4.chat.maxTokens or the context).",
    timeout: "The reply timed out.",
};

export class ReplyView {
    private text = "";
    private scheduled = false;

    constructor(readonly el: HTMLElement, private readonly body: HTMLElement, private readonly onRender: () => void) {}

    append(delta: string): void {
        this.text += delta;
        if (this.scheduled) return;
        this.scheduled = true;
        requestAnimationFrame(() => {
            this.scheduled = false;
            this.render();
        });
    }

    finish(text: string, stopReason: ChatStopReason): void {
        this.text = text;
        this.el.classList.remove("streaming");
        this.render();
        const note = STOP_NOTES[stopReason];
        if (note) this.el.append(h("div", { class: "stop-note" }, note));
        if (!text.trim() && stopReason !== "abort") this.body.replaceChildren(h("em", {}, "(empty reply)"));
    }

    private render(): void {
        this.body.innerHTML = renderMarkdown(this.text);
        this.onRender();
    }
}

export class MessageList {
    readonly el: HTMLElement;

    constructor(private readonly host: MessageListHost) {
        this.el = h("main", { class: "messages", attrs: { "aria-live": "polite" } });
        this.el.append(this.emptyState());
        this.el.addEventListener("click", (e) => void this.onClick(e));
    }

    clear(): void {
        this.el.replaceChildren(this.emptyState());
    }

    render(messages: readonly ChatMessage[]): void {
        this.el.replaceChildren();
        if (messages.length === 0) this.el.append(this.emptyState());
        for (const m of messages) {
            if (m.role === "user") this.addUser(m);
            else if (m.role === "assistant") {
                const r = this.startReply(m.id);
                r.finish(m.parts.map((p) => (p.kind === "text" ? p.text : "")).join(""), m.stopReason ?? "eog");
            }
        }
        this.updateAffordances(false);
        this.scrollToEnd();
    }

    addUser(m: Pick<ChatMessage, "parts" | "attachments" | "command"> & { id?: string }): HTMLElement {
        this.el.querySelector(".empty-state")?.remove();
        const text = m.parts.map((p) => (p.kind === "text" ? p.text : "")).join("");
        const el = h("section", { class: "message user", dataset: { role: "user", id: m.id ?? "" } },
            h("div", { class: "role" }, "You"),
            m.command ? h("span", { class: "command" }, `/${m.command}`) : null,
            ...(m.attachments ?? []).map((a: ChatAttachment) => h("span", { class: `chip ${a.kind}`, title: a.uri ?? a.label }, a.kind === "problems" ? "@problems" : a.label)),
            text ? h("div", { class: "user-text" }, text) : null);
        this.el.append(el);
        this.scrollToEnd();
        return el;
    }

    userFromInput(input: ChatInput): HTMLElement {
        const m: Pick<ChatMessage, "parts" | "attachments" | "command"> = { parts: [{ kind: "text", text: input.text }] };
        if (input.attachments) m.attachments = input.attachments;
        if (input.command) m.command = input.command;
        return this.addUser(m);
    }

    startReply(id = ""): ReplyView {
        this.el.querySelector(".empty-state")?.remove();
        const body = h("div", { class: "markdown" });
        const el = h("section", { class: "message assistant streaming", dataset: { role: "assistant", id } }, h("div", { class: "role" }, "GLM-4"), body);
        this.el.append(el);
        this.scrollToEnd();
        return new ReplyView(el, body, () => this.scrollToEnd(true));
    }

    addNotices(notices: readonly ChatNotice[]): void {
        for (const n of notices) this.el.append(h("div", { class: `notice ${n.kind}`, attrs: { role: "status" } }, n.message));
        if (notices.length) this.scrollToEnd();
    }

    addError(message: string, actions: readonly { label: string; run: () => void }[]): HTMLElement {
        const el = h("div", { class: "error", attrs: { role: "alert" } },
            h("div", {}, message),
            h("div", { class: "error-actions" }, ...actions.map((a) => button(a.label, () => { el.remove(); a.run(); }, { class: "secondary" }))));
        this.el.append(el);
        this.scrollToEnd();
        return el;
    }

    /** Removes the messages from the last user message on (edit/retry re-render them). */
    removeFromLastUser(includeUser: boolean): void {
        const all = [...this.el.children];
        let i = all.length - 1;
        while (i >= 0 && (all[i] as HTMLElement).dataset.role !== "user") i--;
        if (i < 0) return;
        for (const el of all.slice(includeUser ? i : i + 1)) el.remove();
    }

    /** Retry on the last reply and Edit on the last user message, only while nothing runs. */
    updateAffordances(running: boolean): void {
        for (const el of this.el.querySelectorAll(".affordances")) el.remove();
        if (running) return;
        const messages = [...this.el.querySelectorAll<HTMLElement>(".message")];
        const lastUserIndex = messages.map((m) => m.dataset.role).lastIndexOf("user");
        const lastUser = messages[lastUserIndex];
        if (!lastUser) return;
        const reply = messages.slice(lastUserIndex + 1).find((m) => m.dataset.role === "assistant");
        const retry = button("Retry", () => this.host.retry(), { class: "link", title: "Answer the last message again" });
        const edit = button("Edit", () => this.host.editLast(), { class: "link", title: "Edit and resend this message" });
        lastUser.append(h("div", { class: "affordances" }, edit, reply ? null : retry));
        if (reply) reply.append(h("div", { class: "affordances" }, retry));
    }

    scrollToEnd(onlyIfNear = false): void {
        const nearEnd = this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < 80;
        if (!onlyIfNear || nearEnd) this.el.scrollTop = this.el.scrollHeight;
    }

    private emptyState(): HTMLElement {
        return h("div", { class: "empty-state" },
            h("p", {}, "Ask GLM-4 about your code."),
            h("p", { class: "hint" }, "Select code and use /explain, /fix, /tests or /doc. Attach files with @file and diagnostics with @problems."));
    }

    private async onClick(e: Event): Promise<void> {
        const target = e.target as HTMLElement | null;
        const btn = target?.closest<HTMLButtonElement>("button.code-action");
        if (!btn) return;
        const block = btn.closest<HTMLElement>(".code-block");
        const code = block?.querySelector("pre code")?.textContent;
        if (!block || code === undefined || code === null) return;
        const action = btn.dataset.action as CodeAction;
        const label = btn.textContent;
        btn.disabled = true;
        try {
            const feedback = await this.host.codeAction(action, code, block.dataset.lang || undefined);
            if (feedback) btn.textContent = feedback;
        } finally {
            setTimeout(() => { btn.textContent = label; btn.disabled = false; }, 1500);
        }
    }
}
