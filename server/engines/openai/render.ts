/**
 * Prompt -> the raw string an OpenAI-compatible `/v1/completions` server tokenizes. Special parts go in verbatim
 * (vLLM, SGLang and llama-server all parse special-token text in a completion prompt). Plain text that happens
 * to contain a GLM-4 special token's text ("<|user|>", "[gMASK]"...) would then be read as that token, which the
 * seam forbids: such text gets a zero-width space after its first character, so it stays text. (The local
 * engine has no such distortion: it tokenizes parts separately.)
 */
import type { Prompt } from "../../model/languageModel";

/** GLM-4-0414's special tokens (and CodeGeeX4's infill tokens), as text. */
export const GLM4_SPECIAL_TEXTS = [
    "<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>", "<|system|>", "<|user|>", "<|assistant|>",
    "<|observation|>", "<|begin_of_image|>", "<|end_of_image|>", "<|begin_of_video|>", "<|end_of_video|>",
    "<|code_prefix|>", "<|code_middle|>", "<|code_suffix|>",
] as const;

const ZWSP = "\u200b";
const PATTERN = new RegExp(GLM4_SPECIAL_TEXTS.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");

/** Plain text with every special-token text broken by a zero-width space. */
export function neutralizeSpecials(text: string): string {
    return text.replace(PATTERN, (m) => m[0] + ZWSP + m.slice(1));
}

export function renderPrompt(prompt: Prompt): string {
    return prompt.map((p) => (p.special ? p.text : neutralizeSpecials(p.text))).join("");
}
