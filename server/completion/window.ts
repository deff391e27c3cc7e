/**
 * Document position helpers: the bounded window of text around the cursor that a completion prompt shows.
 * Invariants:
 * - Work is bounded by the window size, never by the document size (a 20 MB document costs the same as a small
 *   one): every search runs on a slice of at most the window.
 * - The window is anchored so that typing at the cursor leaves its start where it was (the start moves in
 *   QUANTUM-sized steps of absolute offset and then snaps to a line start), and its suffix depends only on the
 *   text after the cursor. Both keep the prompt's token prefix stable for KV reuse.
 */

export interface WindowBudget {
    /** Most characters before the cursor. */
    prefixChars: number;
    /** Most characters after the cursor. */
    suffixChars: number;
}

export interface CursorWindow {
    /** Window text before the cursor (ends with the current line up to the cursor). */
    readonly prefix: string;
    /** Window text after the cursor (starts with the rest of the current line). */
    readonly suffix: string;
    /** Absolute offsets of the window. */
    readonly start: number;
    readonly offset: number;
    readonly end: number;
    /** The cursor's line up to the cursor / after the cursor (without the line break). */
    readonly linePrefix: string;
    readonly lineSuffix: string;
    /** The nearest non-blank line above the cursor's line inside the window ("" if none). */
    readonly previousLine: string;
    /** True when the window starts at the beginning of the document / ends at its end. */
    readonly atStart: boolean;
    readonly atEnd: boolean;
}

/** Window starts move in steps of this many characters (absolute offsets), so typing does not shift them. */
export const WINDOW_QUANTUM = 256;

export function extractWindow(text: string, offset: number, budget: WindowBudget): CursorWindow {
    offset = Math.max(0, Math.min(offset, text.length));
    let start = offset - Math.max(0, Math.floor(budget.prefixChars));
    if (start <= 0) start = 0;
    else {
        start = Math.min(offset, Math.ceil(start / WINDOW_QUANTUM) * WINDOW_QUANTUM);
        const look = text.slice(start, Math.min(offset, start + WINDOW_QUANTUM));
        const nl = look.indexOf("\n");
        if (nl >= 0) start += nl + 1;
    }
    let end = Math.min(text.length, offset + Math.max(0, Math.floor(budget.suffixChars)));
    if (end < text.length) {
        const nl = text.slice(offset, end).lastIndexOf("\n");
        if (nl >= 0) end = offset + nl + 1;
    }
    const prefix = text.slice(start, offset);
    const suffix = text.slice(offset, end);
    const lineStart = prefix.lastIndexOf("\n") + 1;
    const linePrefix = prefix.slice(lineStart);
    const lineEnd = suffix.indexOf("\n");
    const lineSuffix = stripCr(lineEnd < 0 ? suffix : suffix.slice(0, lineEnd));
    return {
        prefix, suffix, start, offset, end, linePrefix, lineSuffix,
        previousLine: previousNonBlankLine(prefix, lineStart),
        atStart: start === 0,
        atEnd: end === text.length,
    };
}

function previousNonBlankLine(prefix: string, lineStart: number): string {
    let endOfLine = lineStart - 1; // index of the "\n" that ends the previous line
    while (endOfLine > 0) {
        const startOfLine = prefix.lastIndexOf("\n", endOfLine - 1) + 1;
        const line = stripCr(prefix.slice(startOfLine, endOfLine));
        if (line.trim() !== "") return line;
        endOfLine = startOfLine - 1;
    }
    return "";
}

function stripCr(s: string): string {
    return s.endsWith("\r") ? s.slice(0, -1) : s;
}

/**
 * True when the window looks binary: a NUL, or U+FFFD (what a decoder leaves for invalid UTF-8).
 * Only the window is looked at.
 */
export function looksBinary(w: { prefix: string; suffix: string }): boolean {
    return /[\u0000\uFFFD]/.test(w.prefix) || /[\u0000\uFFFD]/.test(w.suffix);
}

/** Width of a line's leading whitespace (a tab counts 4). */
export function indentWidth(line: string): number {
    let w = 0;
    for (const ch of line) {
        if (ch === " ") w++;
        else if (ch === "\t") w += 4;
        else break;
    }
    return w;
}

/** Short path for prompts: the last three segments of a URI's path. */
export function shortPath(uri: string): string {
    let p = uri;
    try {
        const u = new URL(uri);
        p = decodeURIComponent(u.pathname);
    } catch { /* not a URL: keep as is */ }
    const parts = p.split(/[\\/]/).filter(Boolean);
    return parts.slice(-3).join("/") || p;
}
