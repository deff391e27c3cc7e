/**
 * Turns the model's raw text into the text inserted at the cursor, or nothing. In order:
 * strip stray code fences and an echoed current line, cut by mode (line / block rules), never repeat the
 * text after the cursor (drop trailing lines the suffix already has, trim the current line's overlap), drop
 * from an unmatched closer that the suffix already provides, trim trailing whitespace, drop empty results.
 * Pure and synchronous: golden cases in test/fixtures/completion/postprocess/.
 */
import type { ModeDecision } from "./mode";
import { cutByMode } from "./stopRules";

export interface PostprocessContext {
    /** The cursor's line up to / after the cursor. */
    readonly linePrefix: string;
    readonly lineSuffix: string;
    /** Window text after the cursor (starts with lineSuffix). */
    readonly suffix: string;
    readonly decision: ModeDecision;
    readonly maxLines: number;
}

export function postprocess(raw: string, ctx: PostprocessContext): string | undefined {
    let t = raw.replace(/\r\n/g, "\n");
    t = stripFences(t);
    t = stripEcho(t, ctx.linePrefix);
    t = t.slice(0, cutByMode(t, { decision: ctx.decision, maxLines: ctx.maxLines }, true).keep);
    t = dropSuffixLines(t, ctx.suffix);
    const beforeOverlap = t;
    t = trimLineOverlap(t, ctx.lineSuffix);
    // `{|}` + "\n  a,\n}" -> "\n  a,\n": the suffix's closer goes on its own line, so keep that line break.
    const keepBreak = t !== beforeOverlap ? /\n([ \t]*)$/.exec(t) : null;
    t = cutUnmatchedCloser(t, ctx.suffix);
    t = t.split("\n").map((l) => l.trimEnd()).join("\n").trimEnd();
    if (keepBreak && t.trim() !== "") t += `\n${keepBreak[1]}`;
    if (/\s$/.test(ctx.linePrefix) && ctx.linePrefix.trim() !== "" && /^ [^ ]/.test(t)) t = t.slice(1);
    if (t.trim() === "") return undefined;
    if (ctx.suffix.trimStart().startsWith(t.trim())) return undefined;
    return t;
}

const FENCE_LINE = /^[ \t]*`{3,}[\w+#.-]*[ \t]*$/;

/** An opening fence at the very start is dropped; a fence line after code ends the text. */
export function stripFences(t: string): string {
    const lines = t.split("\n");
    if (lines.length > 1 && FENCE_LINE.test(lines[0]!) && /`{3,}[\w+#.-]/.test(lines[0]!)) lines.shift();
    const end = lines.findIndex((l) => FENCE_LINE.test(l));
    return (end >= 0 ? lines.slice(0, end) : lines).join("\n");
}

/** The model repeated the current line up to the cursor: drop the repetition. */
export function stripEcho(t: string, linePrefix: string): string {
    const lp = linePrefix.trimStart();
    if (lp.trim().length < 3) return t;
    const lead = t.length - t.trimStart().length;
    if (t.startsWith(lp, lead)) return t.slice(lead + lp.length);
    return t;
}

/** Drops the completion's last lines when the lines after the cursor's line start with the same lines. */
export function dropSuffixLines(t: string, suffix: string): string {
    const lines = t.split("\n");
    if (lines.length < 2) return t;
    const nl = suffix.indexOf("\n");
    if (nl < 0) return t;
    const next = suffix.slice(nl + 1).split("\n").map((l) => l.trim()).filter((l) => l !== "");
    const tail = lines.slice(1);
    for (let m = Math.min(tail.length, next.length); m >= 1; m--) {
        const last = tail.slice(tail.length - m).map((l) => l.trim());
        if (last.every((l, i) => l === next[i])) {
            const kept = lines.slice(0, lines.length - m);
            while (kept.length > 1 && kept[kept.length - 1]!.trim() === "") kept.pop();
            return kept.join("\n");
        }
    }
    return t;
}

const PUNCT_ONLY = /^[\s)\]}>;,'"`]+$/;

/** The text after the cursor on its line follows the completion's last line: remove what would repeat it. */
export function trimLineOverlap(t: string, lineSuffix: string): string {
    const s = lineSuffix.trim();
    if (s === "") return t;
    const lastNl = t.lastIndexOf("\n");
    const head = t.slice(0, lastNl + 1);
    let last = t.slice(lastNl + 1).trimEnd();
    if (last.endsWith(s)) return head + last.slice(0, last.length - s.length);
    for (let k = s.length - 1; k >= 1; k--) {
        const part = s.slice(0, k);
        if (PUNCT_ONLY.test(part) && last.endsWith(part)) return head + last.slice(0, last.length - k);
    }
    const at = last.lastIndexOf(s);
    if (at > 0 && /^[;,]*$/.test(last.slice(at + s.length))) last = last.slice(0, at);
    return head + last;
}

const OPEN: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
const CLOSE = new Set([")", "]", "}"]);

/**
 * The first closer in `t` without its opener in `t` closes something before the cursor; when the text after
 * the cursor already starts with a closer, keeping it would close twice, so `t` ends there.
 */
export function cutUnmatchedCloser(t: string, suffix: string): string {
    const next = suffix.trimStart()[0];
    if (next === undefined || !CLOSE.has(next)) return t;
    const stack: string[] = [];
    let quote: string | undefined;
    for (let i = 0; i < t.length; i++) {
        const ch = t[i]!;
        if (quote) {
            if (ch === "\\") i++;
            else if (ch === quote || (ch === "\n" && quote !== "`")) quote = undefined;
            continue;
        }
        if (ch === "\"" || ch === "'" || ch === "`") quote = ch;
        else if (OPEN[ch]) stack.push(OPEN[ch]!);
        else if (CLOSE.has(ch)) {
            if (stack.length > 0 && stack[stack.length - 1] === ch) stack.pop();
            else return t.slice(0, i).trimEnd();
        }
    }
    return t;
}
