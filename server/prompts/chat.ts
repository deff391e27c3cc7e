/**
 * GLM-4 chat prompt rendering (GLM-4-0414's template, see /work/shared/design/GLM4.md):
 *
 *   [gMASK]<sop><|system|>\n{tools}<|system|>\n{system}<|user|>\n{body}<|assistant|>{reply}<|user|>\n...<|assistant|>
 *
 * Invariants:
 * - Control tokens only ever come from `special()` parts; user text, file contents and replies are `text()`
 *   parts, so a file containing "<|user|>" is tokenized as plain text.
 * - An assistant text part is rendered verbatim after `<|assistant|>` (it is exactly what the model generated,
 *   including its leading "\n"), so turn N+1's prompt starts with turn N's prompt + reply: the session reuses
 *   the whole previous turn from its KV cache and evaluates only the new user message.
 * - Rendering is a pure function of the messages; `renderMessage` is additive (the prompt is the header, then
 *   each message's parts in order, then the generation prompt), which the budget relies on.
 */
import { special, text, type Prompt, type PromptPart } from "../model/languageModel";
import type { ChatAttachment, ChatMessage, SlashCommand } from "../protocol/chat";

/** A tool the model may call (agent issue): name, description and a JSON schema of its parameters. */
export interface ToolSpec {
    name: string;
    description: string;
    parameters: object;
}

export interface ChatPromptInput {
    system: string;
    tools?: readonly ToolSpec[];
    messages: readonly ChatMessage[];
}

export const DEFAULT_CHAT_SYSTEM_PROMPT =
    "You are GLM-4 Code, a coding assistant inside the user's editor. Answer concisely in Markdown. " +
    "Put code in fenced code blocks with a language tag. When you change code the user gave you, show the " +
    "complete changed code in one block.";

/** What each slash command asks; the selection comes as an attachment. */
export const SLASH_COMMAND_INSTRUCTIONS: Record<SlashCommand, string> = {
    explain: "Explain what the attached code does, step by step, and point out anything surprising.",
    fix: "Find the bugs in the attached code and fix them. Say briefly what was wrong, then give the complete corrected code in one code block.",
    tests: "Write unit tests for the attached code, using the test framework this project appears to use. Cover edge cases.",
    doc: "Add documentation comments to the attached code in the idiom of its language. Return the complete code with the comments in one code block.",
};

/** The prompt header and the system turn(s): everything before the first message. */
export function renderHeader(system: string, tools: readonly ToolSpec[] = []): PromptPart[] {
    const parts: PromptPart[] = [special("[gMASK]<sop>")];
    if (tools.length > 0) parts.push(special("<|system|>"), text(renderToolsBlock(tools)));
    parts.push(special("<|system|>"), text(`\n${system}`));
    return parts;
}

/** GLM-4's tools block (from its chat template): "# 可用工具", then each tool's name and JSON schema. */
export function renderToolsBlock(tools: readonly ToolSpec[]): string {
    let out = "\n# 可用工具";
    for (const t of tools) {
        const fn = { name: t.name, description: t.description, parameters: t.parameters };
        out += `\n\n## ${t.name}\n\n${JSON.stringify(fn, null, 4)}\n在调用上述函数时，请使用 Json 格式表示调用的参数。`;
    }
    return out;
}

/** The generation prompt: an open assistant turn with no newline (so a native tool call stays possible). */
export const GENERATION_PROMPT: readonly PromptPart[] = [special("<|assistant|>")];

/** One message's parts. Edit proposals are client UI and are not rendered (their tool result is). */
export function renderMessage(m: ChatMessage): PromptPart[] {
    const out: PromptPart[] = [];
    if (m.role === "user") {
        out.push(special("<|user|>"), text(`\n${renderUserBody(m)}`));
        return out;
    }
    for (const p of m.parts) {
        switch (p.kind) {
            case "text":
                if (m.role === "assistant") out.push(special("<|assistant|>"), text(p.text));
                else out.push(special("<|observation|>"), text(`\n${p.text}`));
                break;
            case "toolCall":
                out.push(special("<|assistant|>"), text(`${p.name}\n${p.arguments}`));
                break;
            case "toolResult":
                out.push(special("<|observation|>"), text(`\n${p.result}`));
                break;
            case "editProposal":
                break;
        }
    }
    return out;
}

export function renderChatPrompt(input: ChatPromptInput): Prompt {
    const parts = renderHeader(input.system, input.tools);
    for (const m of input.messages) parts.push(...renderMessage(m));
    parts.push(...GENERATION_PROMPT);
    return parts;
}

/** The text of a user turn: the slash command's instruction, the attachments, then what the user typed. */
export function renderUserBody(m: Pick<ChatMessage, "parts" | "attachments" | "command">): string {
    const sections: string[] = [];
    if (m.command) sections.push(SLASH_COMMAND_INSTRUCTIONS[m.command]);
    for (const a of m.attachments ?? []) sections.push(renderAttachment(a));
    const typed = m.parts.filter((p) => p.kind === "text").map((p) => (p as { text: string }).text).join("\n");
    if (typed) sections.push(typed);
    return sections.join("\n\n");
}

export function renderAttachment(a: ChatAttachment): string {
    if (a.kind === "problems") return `Current problems (diagnostics) in the workspace:\n${a.text}`;
    const what = a.kind === "selection" ? "Selected code from" : "File";
    const fence = fenceFor(a.text);
    return `${what} ${a.label}:\n${fence}${a.languageId ?? ""}\n${a.text}\n${fence}`;
}

/** A backtick fence longer than any backtick run in the content, so the content cannot close it. */
export function fenceFor(content: string): string {
    let longest = 0;
    for (const m of content.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
    return "`".repeat(Math.max(3, longest + 1));
}
