/**
 * Where a suggestion ends, by mode. The same rule runs while generating (`shouldStop`, so generation ends as
 * soon as the answer is known) and on the final text (`cutByMode`, which also drops the line that ended it).
 * - line: the first line break ends it.
 * - block: a line indented less than the block ends it (excluded); in a block opened by the cursor's line, one
 *   closing line (`}`, `end`...) at the block's own indent is kept and ends it, any other line at that indent
 *   ends it (excluded); otherwise a blank line after some code ends it; and at most `maxLines` lines.
 */
import type { ModeDecision } from "./mode";
import { indentWidth } from "./window";

export interface StopContext {
    readonly decision: ModeDecision;
    /** Most lines in a block suggestion (the cursor's line counts as one). */
    readonly maxLines: number;
}

const CLOSER_LINE = /^\s*(?:[)\]}]|end\b|fi\b|done\b|esac\b|until\b)/;

/**
 * How much of `text` (generated at the cursor) to keep, and whether generation can stop. `final`: no more text
 * will come, so a last line without a line break is complete.
 */
export function cutByMode(text: string, ctx: StopContext): { keep: number; stop: boolean };
export function cutByMode(text: string, ctx: StopContext, final: boolean): { keep: number; stop: boolean };
export function cutByMode(text: string, ctx: StopContext, final = false): { keep: number; stop: boolean } {
    const { decision } = ctx;
    if (decision.mode === "line") {
        const nl = text.indexOf("\n");
        return nl >= 0 ? { keep: nl, stop: true } : { keep: text.length, stop: false };
    }
    const maxLines = Math.max(1, ctx.maxLines);
    let lineStart = text.indexOf("\n");
    if (lineStart < 0) return { keep: text.length, stop: false };
    let sawCode = text.slice(0, lineStart).trim() !== "";
    let k = 1;
    lineStart += 1; // start of line k
    while (lineStart <= text.length) {
        const nl = text.indexOf("\n", lineStart);
        const complete = nl >= 0 || final;
        const lineEnd = nl >= 0 ? nl : text.length;
        const line = text.slice(lineStart, lineEnd).replace(/\r$/, "");
        const before = lineStart - 1; // keep up to (not including) the line break before line k
        if (k >= maxLines && (line.length > 0 || complete)) return { keep: before, stop: true };
        if (line.trim() === "") {
            if (!complete) break;
            if (!decision.opened && sawCode) return { keep: before, stop: true };
        } else {
            const indent = indentWidth(line);
            if (indent < decision.blockIndent) return { keep: before, stop: true };
            if (indent === decision.blockIndent && decision.opened) {
                if (!CLOSER_LINE.test(line)) return { keep: before, stop: true };
                if (!complete) break;
                return { keep: lineEnd, stop: true };
            }
            sawCode = true;
        }
        if (nl < 0) break;
        lineStart = nl + 1;
        k++;
    }
    return { keep: text.length, stop: false };
}

/** The `shouldStop` callback for GenerateOptions. */
export function stopRule(ctx: StopContext): (textSoFar: string) => boolean {
    return (t) => cutByMode(t, ctx).stop;
}
