/**
 * The input area: the textarea, attachment chips, the context buttons, the token budget meter and the
 * Send/Stop button. Parses `/explain|/fix|/tests|/doc` at the start and `@file` / `@problems` mentions
 * (each turns into an attachment). A paste that would exceed MAX_INPUT_CHARS is cut, with a notice; an empty
 * message is never sent.
 */
import { MAX_INPUT_CHARS, SlashCommands, type SlashCommand } from "../../server/protocol/chatConstants";
import type { ChatAttachment, ChatInput, ChatNotice, ChatUsage } from "./protocol";
import { button, fmt, h } from "./dom";

export interface ComposerHost {
    send(input: ChatInput): void;
    stop(): void;
    /** Ask the host for an attachment ("context/selection" ...). */
    attach(what: "selection" | "activeFile" | "pickFile" | "problems"): Promise<ChatAttachment | null>;
    /** The draft changed (for the budget meter and the saved state). */
    draftChanged(): void;
}

export function parseSlash(text: string): { command?: SlashCommand; text: string } {
    const m = /^\/(\w+)(?:\s+|$)/.exec(text);
    if (m && (SlashCommands as readonly string[]).includes(m[1]!)) return { command: m[1] as SlashCommand, text: text.slice(m[0].length) };
    return { text };
}

const MENTION = /(^|\s)@(file|problems)(?=\s|$)/;

export class Composer {
    readonly el: HTMLElement;
    readonly input: HTMLTextAreaElement;
    private readonly chips: HTMLElement;
    private readonly meter: HTMLElement;
    private readonly notice: HTMLElement;
    private readonly sendButton: HTMLButtonElement;
    private attachments: ChatAttachment[] = [];
    private running = false;
    /** Set while editing the last user message (Send then replaces it). */
    editing = false;

    constructor(private readonly host: ComposerHost) {
        this.input = h("textarea", {
            class: "input",
            attrs: { rows: "3", placeholder: "Ask about your code… /explain /fix /tests /doc, @file, @problems", "aria-label": "Chat message" },
        });
        this.chips = h("div", { class: "chips" });
        this.meter = h("span", { class: "budget", title: "Tokens of the next prompt / the model's context size" });
        this.notice = h("div", { class: "composer-notice", attrs: { role: "status" } });
        this.sendButton = button("Send", () => (this.running ? this.host.stop() : void this.submit()), { class: "primary send" });
        const tools = h("div", { class: "composer-tools" },
            button("+ Selection", () => void this.addFrom("selection"), { title: "Attach the editor selection", class: "secondary" }),
            button("+ File", () => void this.addFrom("activeFile"), { title: "Attach the active file", class: "secondary" }),
            button("@file", () => void this.addFrom("pickFile"), { title: "Attach a workspace file", class: "secondary" }),
            button("@problems", () => void this.addFrom("problems"), { title: "Attach the current problems", class: "secondary" }),
        );
        this.el = h("footer", { class: "composer" },
            this.chips, this.input, this.notice,
            h("div", { class: "composer-bar" }, tools, this.meter, this.sendButton));

        this.input.addEventListener("keydown", (e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                if (!this.running) void this.submit();
            } else if (e.key === "Escape" && this.running) {
                this.host.stop();
            } else if (e.key === "Escape" && this.editing) {
                this.clear();
                this.clearNotice();
            }
        });
        this.input.addEventListener("paste", (e) => this.onPaste(e));
        this.input.addEventListener("input", () => {
            this.resolveMentions(false);
            this.updateButton();
            this.host.draftChanged();
        });
        this.updateButton();
    }

    get text(): string {
        return this.input.value;
    }

    get attached(): readonly ChatAttachment[] {
        return this.attachments;
    }

    /** The draft as the server would get it (for the budget meter). */
    draft(): ChatInput {
        const { command, text } = parseSlash(this.input.value);
        const input: ChatInput = { text };
        if (command) input.command = command;
        if (this.attachments.length) input.attachments = [...this.attachments];
        return input;
    }

    setDraft(text: string, attachments: readonly ChatAttachment[] = [], command?: SlashCommand): void {
        this.input.value = command ? `/${command} ${text}` : text;
        this.attachments = [...attachments];
        this.renderChips();
        this.updateButton();
        this.host.draftChanged();
    }

    addAttachment(a: ChatAttachment): void {
        const same = this.attachments.findIndex((x) => x.kind === a.kind && x.label === a.label);
        if (same >= 0) this.attachments[same] = a;
        else this.attachments.push(a);
        this.renderChips();
        this.updateButton();
        this.host.draftChanged();
    }

    setRunning(running: boolean): void {
        this.running = running;
        this.updateButton();
    }

    showNotice(message: string, kind: "info" | "warning" = "info"): void {
        this.notice.textContent = message;
        this.notice.className = `composer-notice ${kind}`;
    }

    clearNotice(): void {
        this.notice.textContent = "";
        this.notice.className = "composer-notice";
    }

    showUsage(usage: ChatUsage | undefined, notices: readonly ChatNotice[] = [], unavailable?: string): void {
        if (!usage) {
            this.meter.textContent = unavailable ?? "";
            this.meter.className = "budget";
            return;
        }
        this.meter.textContent = `${fmt(usage.promptTokens)} / ${fmt(usage.contextSize)} tokens`;
        this.meter.className = usage.truncated ? "budget warning" : "budget";
        this.meter.title = usage.truncated
            ? `Will be cut to fit:\n${notices.map((n) => `• ${n.message}`).join("\n")}`
            : `Prompt tokens / the model's context size (a reply may use up to ${fmt(usage.maxReplyTokens)} more)`;
    }

    focus(): void {
        this.input.focus();
    }

    private async submit(): Promise<void> {
        this.resolveMentions(true);
        let input = this.draft();
        if (input.text.trim() === "" && !input.command && !input.attachments?.length) return; // empty: nothing sent
        if (input.command && !input.attachments?.length) {
            // A slash command acts on the selection (else the active file).
            const target = (await this.host.attach("selection")) ?? (await this.host.attach("activeFile"));
            if (!target) {
                this.showNotice(`/${input.command} acts on code: select some in an editor (or open a file) first.`, "warning");
                return;
            }
            this.addAttachment(target);
            input = this.draft();
        }
        this.clearNotice();
        this.host.send(input);
    }

    /** Clears the composer after a message was handed over (the caller restores it if sending fails). */
    clear(): void {
        this.setDraft("");
        this.editing = false;
    }

    private async addFrom(what: "selection" | "activeFile" | "pickFile" | "problems"): Promise<void> {
        const a = await this.host.attach(what);
        if (a) this.addAttachment(a);
        else if (what === "problems") this.showNotice("There are no problems to attach.");
        else if (what !== "pickFile") this.showNotice(what === "selection" ? "Select some code in an editor first." : "Open a file in an editor first.");
        this.focus();
    }

    /** `@file ` opens the file picker, `@problems ` attaches the diagnostics; the mention text is removed. */
    private resolveMentions(atSend: boolean): void {
        for (;;) {
            const m = MENTION.exec(this.input.value);
            if (!m) return;
            const end = m.index + m[0].length;
            if (!atSend && end === this.input.value.length) return; // still typing ("@file" may become "@files")
            this.input.value = this.input.value.slice(0, m.index + m[1]!.length) + this.input.value.slice(end).replace(/^\s/, "");
            void this.addFrom(m[2] === "file" ? "pickFile" : "problems");
        }
    }

    private onPaste(e: ClipboardEvent): void {
        const pasted = e.clipboardData?.getData("text/plain") ?? "";
        const { selectionStart: start, selectionEnd: end, value } = this.input;
        const room = MAX_INPUT_CHARS - (value.length - (end - start));
        if (pasted.length <= room) return;
        e.preventDefault();
        const kept = pasted.slice(0, Math.max(0, room));
        this.input.setRangeText(kept, start, end, "end");
        this.showNotice(`The pasted text had ${fmt(pasted.length)} characters; only the first ${fmt(kept.length)} were kept (a message holds at most ${fmt(MAX_INPUT_CHARS)}). Attach large files with @file instead.`, "warning");
        this.updateButton();
        this.host.draftChanged();
    }

    private renderChips(): void {
        this.chips.replaceChildren(...this.attachments.map((a, i) =>
            h("span", { class: `chip ${a.kind}`, title: a.uri ?? a.label },
                a.kind === "problems" ? "@problems" : a.label,
                button("×", () => {
                    this.attachments.splice(i, 1);
                    this.renderChips();
                    this.updateButton();
                    this.host.draftChanged();
                }, { class: "chip-remove", title: "Remove" }))));
    }

    private updateButton(): void {
        this.sendButton.textContent = this.running ? "Stop" : this.editing ? "Resend" : "Send";
        this.sendButton.classList.toggle("stop", this.running);
        const empty = this.input.value.trim() === "" && this.attachments.length === 0;
        this.sendButton.disabled = !this.running && empty;
    }
}
