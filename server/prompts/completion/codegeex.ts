/**
 * CodeGeeX4's infill format (GLM-4-9B based models that have `<|code_suffix|>` & co.):
 *
 *   [gMASK]<sop><|user|>
 *   ###REFERENCE:            (one per cross-file chunk)
 *   ###PATH:{other path}
 *   {chunk}
 *   ###PATH:{path}
 *   ###LANGUAGE:{Language}
 *   ###MODE:{LINE|BLOCK}
 *   <|code_suffix|>{suffix}<|code_prefix|>{prefix}<|code_middle|><|assistant|>\n
 *
 * The suffix comes before the prefix, so a keystroke at the cursor (the end of the prefix) changes only the last
 * few tokens: the end of the prefix and the fixed tail `<|code_middle|><|assistant|>\n`.
 * `###MODE` sits in the header, before all the code: a header that flips between LINE and BLOCK while the user
 * types would re-evaluate the whole window. By default the header says BLOCK (CodeGeeX4's own default) and the
 * single-line rule is enforced by our stop rules; `modeHeader: "per-position"` writes the decided mode instead.
 */
import { special, text, type PromptPart } from "../../model/languageModel";
import type { BuiltCompletionPrompt, CompletionFormat, CompletionPromptInput } from "./format";
import { codeGeexLanguage } from "./languages";

export interface CodeGeexFormatOptions {
    /** "fixed-block" (default): always `###MODE:BLOCK` (KV-stable); "per-position": the decided mode. */
    modeHeader?: "fixed-block" | "per-position";
}

export class CodeGeexFormat implements CompletionFormat {
    readonly id = "codegeex" as const;

    constructor(private readonly options: CodeGeexFormatOptions = {}) {}

    build(input: CompletionPromptInput): BuiltCompletionPrompt {
        let header = "\n";
        for (const chunk of input.crossFile) {
            header += `###REFERENCE:\n###PATH:${oneLine(chunk.path)}\n${withNewline(chunk.text)}`;
        }
        const mode = this.options.modeHeader === "per-position" && input.mode === "line" ? "LINE" : "BLOCK";
        header += `###PATH:${oneLine(input.path)}\n###LANGUAGE:${codeGeexLanguage(input.languageId)}\n###MODE:${mode}\n`;
        const parts: PromptPart[] = [
            special("[gMASK]<sop>"),
            special("<|user|>"),
            text(header),
            special("<|code_suffix|>"),
        ];
        if (input.suffix) parts.push(text(input.suffix));
        parts.push(special("<|code_prefix|>"));
        if (input.prefix) parts.push(text(input.prefix));
        parts.push(special("<|code_middle|>"), special("<|assistant|>"), text("\n"));
        return { prompt: parts, stop: [], prefill: "" };
    }
}

function oneLine(s: string): string {
    return s.replace(/[\r\n]+/g, " ");
}

function withNewline(s: string): string {
    return s.endsWith("\n") ? s : `${s}\n`;
}
