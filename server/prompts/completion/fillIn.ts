/**
 * Fill-in format for chat models without infill tokens (GLM-4-0414):
 *
 *   [gMASK]<sop><|system|>
 *   {fixed instructions: output only the code that replaces the hole}<|user|>
 *   {cross-file chunks, each fenced, oldest first}
 *   File: {path}
 *   ```{lang}
 *   {lines before the cursor's line}<HOLE>{rest of the cursor's line}
 *   {lines after}
 *   ```
 *   Replace <HOLE> with the code that belongs there.<|assistant|>
 *   ```{lang}
 *   {the cursor's line up to the cursor}          <- generation continues here
 *
 * The hole replaces the cursor's line up to the cursor; that text is prefilled in the assistant turn instead.
 * So a keystroke at the cursor changes only the prefill at the very end of the prompt: everything before
 * (system, cross-file context, file path, the code before and after the cursor's line) is reused from the KV
 * cache. Pressing Enter moves one line from the prefill into the file body (a re-evaluation from that line on);
 * text inserted after the cursor (auto-closed brackets) changes the body right after the hole.
 * The line/block decision is not in the prompt: typing flips it often (a blank line is a block, its first
 * character makes it a line), and a flip would re-evaluate the prompt's end; our stop rules enforce it instead.
 * Generation stops on the closing fence.
 */
import { special, text } from "../../model/languageModel";
import { splitAtCursorLine, type BuiltCompletionPrompt, type CompletionFormat, type CompletionPromptInput } from "./format";
import { fenceLanguage } from "./languages";

export const FILL_IN_SYSTEM =
    "You are a code completion engine. The user shows a file with one hole in it, where the cursor is. " +
    "Output only the code that replaces the hole: start at the beginning of the hole's line, complete that line " +
    "and, when it opens a block, the block; do not repeat the code that follows the hole, write no explanation, " +
    "and close the code block when done.";

const HOLE_CANDIDATES = ["<HOLE>", "<|HOLE|>", "<FILL_HERE>", "⟦HOLE⟧", "<__HOLE_0__>"] as const;

export class FillInFormat implements CompletionFormat {
    readonly id = "fill-in" as const;

    build(input: CompletionPromptInput): BuiltCompletionPrompt {
        const { before, linePrefix, lineRest, after } = splitAtCursorLine(input.prefix, input.suffix);
        const all = [input.prefix, input.suffix, ...input.crossFile.map((c) => c.text)];
        const longest = Math.max(0, ...all.map(longestBacktickRun));
        const fence = "`".repeat(Math.max(3, longest + 1));
        const hole = HOLE_CANDIDATES.find((h) => !all.some((t) => t.includes(h))) ?? HOLE_CANDIDATES[0];
        const lang = fenceLanguage(input.languageId);

        let user = "\n";
        if (input.crossFile.length > 0) {
            user += "Code from other files, for reference:\n\n";
            for (const c of input.crossFile) user += `File: ${oneLine(c.path)}\n${fence}\n${withNewline(c.text)}${fence}\n\n`;
        }
        const body = withNewline(`${before}${hole}${lineRest}${after}`);
        user += `File: ${oneLine(input.path)}\n${fence}${lang}\n${body}${fence}\n\n`;
        user += `Replace ${hole} with the code that belongs there.`;

        const prefillHead = `\n${fence}${lang}\n`;
        return {
            prompt: [
                special("[gMASK]<sop>"),
                special("<|system|>"),
                text(`\n${FILL_IN_SYSTEM}`),
                special("<|user|>"),
                text(user),
                special("<|assistant|>"),
                text(prefillHead + linePrefix),
            ],
            stop: [fence],
            prefill: linePrefix,
            fence,
        };
    }
}

/** Longest run of backticks in `s` (the fence must be longer than any run inside it). */
export function longestBacktickRun(s: string): number {
    let best = 0;
    let run = 0;
    for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) === 96) {
            run++;
            if (run > best) best = run;
        } else run = 0;
    }
    return best;
}

function oneLine(s: string): string {
    return s.replace(/[\r\n]+/g, " ");
}

function withNewline(s: string): string {
    return s.endsWith("\n") ? s : `${s}\n`;
}
