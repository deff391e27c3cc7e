/**
 * Cross-file context: a bounded ring of chunks of recently opened or edited files. A chunk is a snapshot of a
 * few lines around where the user worked (the top of a file on open, the cursor's surroundings on each edit),
 * bounded in lines and characters. A prompt takes the newest chunks of OTHER files that fit a token budget and
 * shows them oldest first, so the selection (and the prompt's stable head) only changes when another file is
 * opened or edited. Nothing here reads more of a document than one chunk.
 */
import type { ContextChunk } from "../prompts/completion/format";
import { looksBinary, shortPath } from "./window";

export interface RingOptions {
    /** Most chunks kept. */
    capacity: number;
    /** Lines above and below the anchor line in a chunk. */
    linesAround: number;
    /** Most characters in one chunk. */
    maxChunkChars: number;
}

export const DEFAULT_RING_OPTIONS: RingOptions = { capacity: 16, linesAround: 16, maxChunkChars: 1500 };

/** What the ring needs from a document: TextDocument's own methods (line index based, no full scan). */
export interface ChunkSource {
    readonly uri: string;
    readonly lineCount: number;
    getText(range?: { start: { line: number; character: number }; end: { line: number; character: number } }): string;
}

interface Chunk extends ContextChunk {
    readonly uri: string;
    readonly startLine: number;
    readonly endLine: number;
    tokens?: number;
}

export class CrossFileRing {
    private chunks: Chunk[] = [];
    private readonly options: RingOptions;

    constructor(options: Partial<RingOptions> = {}) {
        this.options = { ...DEFAULT_RING_OPTIONS, ...options };
    }

    /**
     * Snapshots the lines around `line` of `doc` as the newest chunk, replacing an older chunk of the same file
     * that overlaps it. Binary or empty text is ignored.
     */
    note(doc: ChunkSource, line: number): void {
        const { linesAround, maxChunkChars, capacity } = this.options;
        const startLine = Math.max(0, line - linesAround);
        const endLine = Math.min(doc.lineCount, line + linesAround + 1);
        let text = doc.getText({ start: { line: startLine, character: 0 }, end: { line: endLine, character: 0 } });
        if (text.length > maxChunkChars) {
            const cut = text.lastIndexOf("\n", maxChunkChars);
            text = text.slice(0, cut > 0 ? cut + 1 : maxChunkChars);
        }
        if (text.trim() === "" || looksBinary({ prefix: text, suffix: "" })) return;
        this.chunks = this.chunks.filter((c) => !(c.uri === doc.uri && c.startLine < endLine && startLine < c.endLine));
        this.chunks.push({ uri: doc.uri, path: shortPath(doc.uri), text, startLine, endLine });
        if (this.chunks.length > capacity) this.chunks.splice(0, this.chunks.length - capacity);
    }

    /** Forget a file's chunks. */
    forget(uri: string): void {
        this.chunks = this.chunks.filter((c) => c.uri !== uri);
    }

    /**
     * The newest chunks of files other than `excludeUri` whose tokens fit `budgetTokens`, oldest first.
     * `countTokens` runs once per chunk (memoized on the chunk).
     */
    select(excludeUri: string, budgetTokens: number, countTokens: (text: string) => number): ContextChunk[] {
        if (budgetTokens <= 0) return [];
        const picked: Chunk[] = [];
        let used = 0;
        for (let i = this.chunks.length - 1; i >= 0; i--) {
            const c = this.chunks[i]!;
            if (c.uri === excludeUri) continue;
            c.tokens ??= countTokens(c.text) + countTokens(c.path) + 8;
            if (used + c.tokens > budgetTokens) continue;
            used += c.tokens;
            picked.push(c);
        }
        return picked.reverse().map((c) => ({ path: c.path, text: c.text }));
    }

    get size(): number {
        return this.chunks.length;
    }
}
