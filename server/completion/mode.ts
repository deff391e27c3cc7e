/**
 * Single line or block, decided per cursor position:
 * - text after the cursor on its line (mid-line) -> line, unless that text only closes what the line opens
 *   (`foo() {|}`) -> block;
 * - end of a line that opens a block (`{ ( [ :` or `=>`) -> block, indented past that line;
 * - a blank line (nothing before the cursor) -> block at the cursor's indent, or after a block opener above;
 * - otherwise (end of an ordinary line) -> line.
 */
import type { CompletionMode } from "../prompts/completion/format";
import { indentWidth, type CursorWindow } from "./window";

export interface ModeDecision {
    mode: CompletionMode;
    /** Block mode: a generated line indented less than this ends the block. */
    blockIndent: number;
    /**
     * Block mode: the block is opened by the cursor's line or the line above; one line at `blockIndent` that
     * starts with a closer (`}`, `end`...) is the block's end and is kept, any other line there stops it.
     */
    opened: boolean;
}

const OPENER = /(?:[{([:]|=>)\s*$/;
const ONLY_CLOSERS = /^[\s)\]};,]*$/;

export function opensBlock(line: string): boolean {
    return OPENER.test(stripLineComment(line));
}

function stripLineComment(line: string): string {
    const i = line.search(/\s(?:\/\/|#)\s/);
    return i >= 0 ? line.slice(0, i) : line;
}

export function decideMode(w: Pick<CursorWindow, "linePrefix" | "lineSuffix" | "previousLine">): ModeDecision {
    const { linePrefix, lineSuffix, previousLine } = w;
    const lineIndent = indentWidth(linePrefix);
    const blankBefore = linePrefix.trim() === "";
    if (lineSuffix.trim() !== "") {
        if (ONLY_CLOSERS.test(lineSuffix) && /[{([]\s*$/.test(linePrefix)) return { mode: "block", blockIndent: lineIndent, opened: true };
        return { mode: "line", blockIndent: lineIndent, opened: false };
    }
    if (blankBefore) {
        if (previousLine && opensBlock(previousLine)) {
            return { mode: "block", blockIndent: indentWidth(previousLine), opened: true };
        }
        return { mode: "block", blockIndent: indentWidth(linePrefix), opened: false };
    }
    if (opensBlock(linePrefix)) return { mode: "block", blockIndent: lineIndent, opened: true };
    return { mode: "line", blockIndent: lineIndent, opened: false };
}
