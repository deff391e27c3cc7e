/** Completion prompt formats: pick one from the model's vocabulary and the setting. */
import type { CompletionSettings } from "../../protocol/settings";
import { CodeGeexFormat, type CodeGeexFormatOptions } from "./codegeex";
import { FillInFormat } from "./fillIn";
import { pickFormatId, type CompletionFormat } from "./format";

export * from "./format";
export { CodeGeexFormat } from "./codegeex";
export { FillInFormat, FILL_IN_SYSTEM } from "./fillIn";

export interface FormatOptions {
    codegeex?: CodeGeexFormatOptions;
}

/** The format for a model (its special tokens) and the `glm4.completion.format` setting. */
export function completionFormatFor(specialTokens: readonly string[], setting: CompletionSettings["format"], options: FormatOptions = {}): CompletionFormat {
    return pickFormatId(specialTokens, setting) === "codegeex" ? new CodeGeexFormat(options.codegeex) : new FillInFormat();
}
