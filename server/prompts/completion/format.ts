/**
 * Completion prompt formats. GLM-4-0414 has no FIM tokens, so a completion is a chat-wrapped prompt built here.
 * A format turns one cursor position (a bounded window of the file, the path, cross-file chunks) into a `Prompt`
 * plus the stop strings and the text the model continues from. Invariants (see ../README.md):
 * - Every prompt starts with `[gMASK]<sop>`; role and infill tokens are `special()` parts, user code is `text()`.
 * - Stable parts come first; a keystroke at the cursor changes only the END of the token sequence (KV reuse).
 * - The format is picked from the model's own vocabulary and the `glm4.completion.format` setting, never from
 *   the model's file name.
 */
import type { Prompt } from "../../model/languageModel";
import type { CompletionSettings } from "../../protocol/settings";

export type CompletionMode = "line" | "block";

/** A chunk of another file, for cross-file context. */
export interface ContextChunk {
    /** Short path of the file the chunk comes from. */
    readonly path: string;
    readonly text: string;
}

export interface CompletionPromptInput {
    /** Short (workspace-relative or last segments) path of the file. */
    readonly path: string;
    /** VS Code language id. */
    readonly languageId: string;
    readonly mode: CompletionMode;
    /** Window text before the cursor; ends with the current line's text up to the cursor. */
    readonly prefix: string;
    /** Window text after the cursor; starts with the rest of the current line. */
    readonly suffix: string;
    /** Chunks of other files, oldest first (stable order). */
    readonly crossFile: readonly ContextChunk[];
}

export interface BuiltCompletionPrompt {
    readonly prompt: Prompt;
    /** Extra stop strings for this prompt (GLM-4's stop tokens are always on). */
    readonly stop: readonly string[];
    /**
     * Text that ends the prompt and that the generated text continues (the fill-in format prefills the current
     * line up to the cursor); "" when generation starts right at the cursor. Used to strip echoes.
     */
    readonly prefill: string;
    /** The code fence, when the format wraps code in one (post-processing strips stray fences). */
    readonly fence?: string;
}

export interface CompletionFormat {
    readonly id: "codegeex" | "fill-in";
    build(input: CompletionPromptInput): BuiltCompletionPrompt;
}

/** CodeGeeX4's infill tokens (GLM-4-9B based; GLM-4-0414 lacks them). */
export const CODEGEEX_TOKENS = ["<|code_suffix|>", "<|code_prefix|>", "<|code_middle|>"] as const;

/** True when the vocabulary holds all of CodeGeeX4's infill tokens. */
export function hasCodeGeexTokens(specialTokens: readonly string[]): boolean {
    return CODEGEEX_TOKENS.every((t) => specialTokens.includes(t));
}

/** Which format to use: the setting wins unless "auto"; "auto" reads the model's own special tokens. */
export function pickFormatId(specialTokens: readonly string[], setting: CompletionSettings["format"]): CompletionFormat["id"] {
    if (setting !== "auto") return setting;
    return hasCodeGeexTokens(specialTokens) ? "codegeex" : "fill-in";
}

/** Splits the window around the cursor into lines before, current line prefix, current line rest, lines after. */
export function splitAtCursorLine(prefix: string, suffix: string): { before: string; linePrefix: string; lineRest: string; after: string } {
    const nl = prefix.lastIndexOf("\n");
    const before = prefix.slice(0, nl + 1);
    const linePrefix = prefix.slice(nl + 1);
    const end = suffix.indexOf("\n");
    const lineRest = end < 0 ? suffix : suffix.slice(0, end);
    const after = end < 0 ? "" : suffix.slice(end);
    return { before, linePrefix, lineRest, after };
}
