/** The history panel: stored conversations of this workspace, newest first; open or delete each. */
import type { ConversationSummary } from "./protocol";
import { button, h } from "./dom";

export interface HistoryHost {
    list(): Promise<ConversationSummary[]>;
    open(id: string): void;
    remove(id: string): Promise<void>;
}

export class HistoryPanel {
    readonly el: HTMLElement;
    private readonly list: HTMLElement;

    constructor(private readonly host: HistoryHost) {
        this.list = h("ul", { class: "history-list" });
        this.el = h("section", { class: "history", attrs: { hidden: "", "aria-label": "Chat history" } },
            h("div", { class: "history-head" }, h("strong", {}, "History"), button("Close", () => this.hide(), { class: "link" })),
            this.list);
    }

    get visible(): boolean {
        return !this.el.hidden;
    }

    async show(): Promise<void> {
        this.el.hidden = false;
        this.list.replaceChildren(h("li", { class: "hint" }, "Loading…"));
        try {
            const items = await this.host.list();
            this.list.replaceChildren(...(items.length ? items.map((c) => this.item(c)) : [h("li", { class: "hint" }, "No conversations yet.")]));
        } catch (e) {
            this.list.replaceChildren(h("li", { class: "hint" }, `Could not load the history: ${(e as Error).message}`));
        }
    }

    hide(): void {
        this.el.hidden = true;
    }

    private item(c: ConversationSummary): HTMLElement {
        const date = new Date(c.updatedAt);
        const when = date.toDateString() === new Date().toDateString()
            ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
            : date.toLocaleDateString();
        const li = h("li", { class: "history-item", dataset: { id: c.id } },
            button(c.title, () => { this.hide(); this.host.open(c.id); }, { class: "history-open", title: `${c.title}\n${c.messageCount} messages, ${date.toLocaleString()}` }),
            h("span", { class: "history-meta" }, when),
            button("Delete", async () => {
                await this.host.remove(c.id);
                li.remove();
            }, { class: "link danger", title: "Delete this conversation" }));
        return li;
    }
}
