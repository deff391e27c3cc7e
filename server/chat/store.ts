/**
 * Conversations of one workspace, one JSON file each (`<dir>/<id>.json`), so a corrupt or half-written file
 * costs one conversation, never the list. Invariants:
 * - Writes are atomic: write a temporary file in the same folder, fsync it, rename it over the target; writes
 *   of one conversation are serialized (the last one wins, in call order).
 * - Ids are validated (`[A-Za-z0-9_-]{1,64}`) before they become file names: no path traversal.
 * - An unreadable/corrupt file is logged, renamed to `<id>.json.corrupt` (kept for the user, out of the list)
 *   and skipped; it never throws out of `list()` or `get()`.
 * The folder is created on the first write. No vscode, no model: plain Node.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Logger } from "../logger";
import type { ChatMessage, Conversation, ConversationSummary } from "../protocol/chat";
import { checkConversation } from "../protocol/chat";

const FILE_VERSION = 1;
const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidConversationId(id: unknown): id is string {
    return typeof id === "string" && ID_RE.test(id);
}

export function newId(prefix = ""): string {
    return `${prefix}${Date.now().toString(36)}${randomBytes(6).toString("hex")}`;
}

/** A title from the first user message: its first line, at most 60 characters. */
export function titleFor(messages: readonly ChatMessage[]): string {
    const first = messages.find((m) => m.role === "user");
    const typed = first?.parts.map((p) => (p.kind === "text" ? p.text : "")).join(" ").trim() ?? "";
    const line = (typed.split("\n")[0] ?? "").trim() || (first?.command ? `/${first.command}` : "") || first?.attachments?.[0]?.label || "New chat";
    return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

export class ConversationStore {
    private readonly writes = new Map<string, Promise<void>>();

    constructor(readonly dir: string, private readonly log: Logger) {}

    private file(id: string): string {
        if (!isValidConversationId(id)) throw new Error(`bad conversation id ${JSON.stringify(id)}`);
        return path.join(this.dir, `${id}.json`);
    }

    /** Newest first. */
    async list(): Promise<ConversationSummary[]> {
        let names: string[];
        try {
            names = await fs.readdir(this.dir);
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
            throw e;
        }
        const out: ConversationSummary[] = [];
        for (const name of names) {
            if (!name.endsWith(".json")) continue;
            const id = name.slice(0, -".json".length);
            if (!isValidConversationId(id)) continue;
            const c = await this.get(id);
            if (c) out.push({ id: c.id, title: c.title, createdAt: c.createdAt, updatedAt: c.updatedAt, messageCount: c.messages.length });
        }
        return out.sort((a, b) => b.updatedAt - a.updatedAt);
    }

    async get(id: string): Promise<Conversation | undefined> {
        const file = this.file(id);
        await this.writes.get(id);
        let raw: string;
        try {
            raw = await fs.readFile(file, "utf8");
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
            this.log.warn(`chat history: cannot read ${file}: ${(e as Error).message}`);
            return undefined;
        }
        let data: unknown;
        try {
            data = JSON.parse(raw);
        } catch (e) {
            await this.quarantine(file, `not JSON (${(e as Error).message})`);
            return undefined;
        }
        const file_ = data as { version?: unknown; conversation?: Conversation };
        if (typeof file_?.version === "number" && file_.version > FILE_VERSION) {
            this.log.warn(`chat history: ${file} was written by a newer version (${file_.version}); skipped`);
            return undefined;
        }
        const problem = file_?.version !== FILE_VERSION ? `version ${JSON.stringify(file_?.version)}, expected ${FILE_VERSION}` : checkConversation(file_.conversation, "conversation");
        if (problem || file_.conversation!.id !== id) {
            await this.quarantine(file, problem ?? "its id does not match its file name");
            return undefined;
        }
        return file_.conversation!;
    }

    /** Saves (creates or replaces) a conversation; resolves when it is on disk. */
    save(conversation: Conversation): Promise<void> {
        const file = this.file(conversation.id);
        const body = JSON.stringify({ version: FILE_VERSION, conversation }, null, 1);
        const prev = this.writes.get(conversation.id) ?? Promise.resolve();
        const next = prev.catch(() => undefined).then(() => atomicWrite(file, body));
        this.writes.set(conversation.id, next);
        void next.finally(() => { if (this.writes.get(conversation.id) === next) this.writes.delete(conversation.id); }).catch(() => undefined);
        return next;
    }

    async delete(id: string): Promise<boolean> {
        const file = this.file(id);
        await this.writes.get(id)?.catch(() => undefined);
        try {
            await fs.unlink(file);
            return true;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
            throw e;
        }
    }

    private async quarantine(file: string, why: string): Promise<void> {
        this.log.warn(`chat history: ${file} is unreadable (${why}); moved aside to ${path.basename(file)}.corrupt`);
        await fs.rename(file, `${file}.corrupt`).catch(() => undefined);
    }
}

async function atomicWrite(file: string, body: string): Promise<void> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const handle = await fs.open(tmp, "w");
    try {
        await handle.writeFile(body, "utf8");
        await handle.sync();
    } finally {
        await handle.close();
    }
    try {
        await fs.rename(tmp, file);
    } catch (e) {
        await fs.unlink(tmp).catch(() => undefined);
        throw e;
    }
}
