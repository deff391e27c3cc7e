/**
 * Typed-through cache: when the user types the first characters of a suggestion that was shown, the rest is
 * served without touching the model. An entry remembers the cursor offset, a little text on each side of it and
 * the suggestion; a lookup at a later offset checks that the text typed since equals the start of the
 * suggestion and that the text around is unchanged. Costs O(context) per lookup, never O(document).
 */

interface Entry {
    readonly uri: string;
    readonly offset: number;
    /** Text just before / after the cursor when the suggestion was made. */
    readonly before: string;
    readonly after: string;
    readonly completion: string;
}

export interface CacheHit {
    /** The rest of the suggestion, to insert at the new cursor. */
    readonly text: string;
    /** How many characters of the suggestion were typed since. */
    readonly typed: number;
}

/** Characters of context kept on each side of the cursor for verification. */
const CONTEXT_CHARS = 256;

export class TypedThroughCache {
    private entries: Entry[] = [];

    constructor(private readonly capacity = 32) {}

    add(uri: string, text: string, offset: number, completion: string): void {
        if (!completion) return;
        const before = text.slice(Math.max(0, offset - CONTEXT_CHARS), offset);
        const after = text.slice(offset, offset + CONTEXT_CHARS);
        this.entries = this.entries.filter((e) => !(e.uri === uri && e.offset === offset && e.before === before));
        this.entries.push({ uri, offset, before, after, completion });
        if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    }

    /** The rest of a cached suggestion for `uri` at `offset` in `text`, if the user typed through one. */
    lookup(uri: string, text: string, offset: number): CacheHit | undefined {
        for (let i = this.entries.length - 1; i >= 0; i--) {
            const e = this.entries[i]!;
            if (e.uri !== uri || offset < e.offset || offset - e.offset >= e.completion.length) continue;
            const typed = text.slice(e.offset, offset);
            if (!e.completion.startsWith(typed)) continue;
            if (text.slice(e.offset - e.before.length, e.offset) !== e.before) continue;
            if (text.slice(offset, offset + e.after.length) !== e.after) continue;
            const rest = e.completion.slice(typed.length);
            if (rest.trim() === "") continue;
            return { text: rest, typed: typed.length };
        }
        return undefined;
    }

    /** Forget one document (closed) or everything (model or settings changed). */
    clear(uri?: string): void {
        this.entries = uri === undefined ? [] : this.entries.filter((e) => e.uri !== uri);
    }

    get size(): number {
        return this.entries.length;
    }
}
