/**
 * Fits a conversation into the model's real context (`model.info.contextSize`), counting with the model's own
 * tokenizer. Never a silent cut and never an overflow error: what is left out is said in a notice.
 *
 * Order of cuts (the system prompt and the last message are kept as long as anything can be):
 * 1. the oldest turns (a user message and the replies after it). When this starts, it cuts down to 3/4 of
 *    the budget, so the next few turns keep a stable prefix and reuse the KV cache instead of re-evaluating
 *    the whole conversation each turn;
 * 2. the last message's attachments, first one first (cut to what fits, or left out);
 * 3. the middle of the last message's text (its head and tail are kept);
 * 4. the system prompt (only in absurdly small contexts).
 * A reply reserve (`minReplyTokens`) is kept free; the reply may then use what is left, up to chat.maxTokens.
 */
import { GLM4_STOP_TOKENS, type Prompt, type PromptPart } from "../model/languageModel";
import type { ChatAttachment, ChatMessage, ChatNotice, ChatUsage } from "../protocol/chat";
import { GENERATION_PROMPT, renderChatPrompt, renderHeader, renderMessage, type ToolSpec } from "../prompts/chat";

export interface FitInput {
    system: string;
    tools?: readonly ToolSpec[];
    /** Earlier messages, oldest first. */
    history: readonly ChatMessage[];
    /** The message being answered (the last user message). */
    last: ChatMessage;
    contextSize: number;
    /** The chat.maxTokens setting. */
    maxReplyTokens: number;
    /** Token count of plain text (the model's tokenizer). */
    countTokens: (text: string) => number;
}

export interface FitResult {
    /** The messages rendered (history kept + the possibly cut last message). */
    messages: ChatMessage[];
    prompt: Prompt;
    usage: ChatUsage;
    notices: ChatNotice[];
}

const SPECIAL_NAMES = ["[gMASK]", "[sMASK]", "[MASK]", "<sop>", "<eop>", "<|system|>", "<|assistant|>", ...GLM4_STOP_TOKENS];

/** Tokens of prompt parts: special parts count their control tokens, text parts the tokenizer's count. */
export function countParts(parts: readonly PromptPart[], countTokens: (text: string) => number): number {
    let n = 0;
    for (const p of parts) {
        if (!p.special) {
            if (p.text) n += countTokens(p.text);
            continue;
        }
        let rest = p.text;
        while (rest.length > 0) {
            const name = SPECIAL_NAMES.find((s) => rest.startsWith(s));
            if (!name) { n += countTokens(rest); break; }
            n += 1;
            rest = rest.slice(name.length);
        }
    }
    return n;
}

/** The reply space always kept free: chat.maxTokens, but at most 1/8 of the context and at least 16 tokens. */
export function minReplyTokens(contextSize: number, maxReplyTokens: number): number {
    return Math.max(1, Math.min(maxReplyTokens, Math.max(16, Math.floor(contextSize / 8))));
}

/** Cuts `text` to at most `maxTokens` tokens, keeping the head (or head and tail with `middle`). */
export function cutText(text: string, maxTokens: number, countTokens: (t: string) => number, middle = false): string {
    if (maxTokens <= 0) return "";
    const total = countTokens(text);
    if (total <= maxTokens) return text;
    let keep = Math.floor((text.length * maxTokens) / total);
    for (let i = 0; i < 40 && keep > 0; i++) {
        const candidate = middle ? cutMiddle(text, keep) : text.slice(0, keep);
        if (countTokens(candidate) <= maxTokens) return candidate;
        keep = Math.floor(keep * 0.9);
    }
    return "";
}

function cutMiddle(text: string, keep: number): string {
    const marker = `\n[… ${text.length - keep} characters cut to fit the context …]\n`;
    const room = Math.max(0, keep - marker.length);
    const head = Math.ceil(room / 2);
    return text.slice(0, head) + marker + text.slice(text.length - (room - head));
}

const fmt = (n: number): string => n.toLocaleString("en-US");

export function fitConversation(input: FitInput): FitResult {
    const { countTokens, contextSize } = input;
    const notices: ChatNotice[] = [];
    const reserve = minReplyTokens(contextSize, input.maxReplyTokens);
    const budget = Math.max(0, contextSize - reserve);
    let system = input.system;
    const cost = (m: ChatMessage): number => countParts(renderMessage(m), countTokens);
    const fixedCost = (): number => countParts([...renderHeader(system, input.tools), ...GENERATION_PROMPT], countTokens);

    let history = [...input.history];
    let last: ChatMessage = input.last;
    const historyCosts = history.map(cost);
    let historyTotal = historyCosts.reduce((a, b) => a + b, 0);
    const fixed = fixedCost();
    let total = fixed + historyTotal + cost(last);

    // 1. Oldest turns, down to 3/4 of the budget (a stable prefix for the next turns).
    if (total > budget && history.length > 0) {
        const target = Math.floor((budget * 3) / 4);
        let drop = 0;
        while (drop < history.length && total > target) {
            // Drop a whole turn: the user message and every reply up to the next user message.
            do {
                total -= historyCosts[drop]!;
                historyTotal -= historyCosts[drop]!;
                drop++;
            } while (drop < history.length && history[drop]!.role !== "user");
        }
        history = history.slice(drop);
        notices.push({
            kind: "truncated",
            message: `Left out the ${fmt(drop)} oldest message${drop === 1 ? "" : "s"} of this conversation to fit the model's context of ${fmt(contextSize)} tokens.`,
        });
    }

    // 2. The last message's attachments, first one first: cut to what fits, or left out when little would stay.
    const base = (): number => fixed + historyTotal;
    if (total > budget && last.attachments?.length) {
        const attachments: ChatAttachment[] = [...last.attachments];
        for (let i = 0; i < attachments.length && total > budget; i++) {
            const a = attachments[i]!;
            const over = total - budget;
            const tokens = countTokens(a.text);
            if (tokens <= over + 32) {
                attachments.splice(i--, 1);
                notices.push({ kind: "truncated", message: `Left out ${a.label} (${fmt(tokens)} tokens): it does not fit the model's context of ${fmt(contextSize)} tokens.` });
            } else {
                const cut = cutText(a.text, tokens - over - 16, countTokens);
                attachments[i] = { ...a, text: `${cut}\n[… cut to fit the context …]` };
                const lines = a.text.split("\n").length, keptLines = cut.split("\n").length;
                notices.push({ kind: "truncated", message: `Cut ${a.label} to its first ${fmt(keptLines)} of ${fmt(lines)} lines to fit the model's context of ${fmt(contextSize)} tokens.` });
            }
            last = { ...last, attachments };
            total = base() + cost(last);
        }
    }

    // 3. The middle of the last message's text.
    if (total > budget) {
        const typed = last.parts.map((p) => (p.kind === "text" ? p.text : "")).join("\n");
        const over = total - budget;
        const cut = cutText(typed, countTokens(typed) - over, countTokens, true);
        last = { ...last, parts: [{ kind: "text", text: cut }] };
        notices.push({ kind: "truncated", message: `Cut the middle of your message (${fmt(typed.length - cut.length)} characters) to fit the model's context of ${fmt(contextSize)} tokens.` });
        total = base() + cost(last);
    }

    // 4. The system prompt, as a last resort.
    if (total > budget) {
        const over = total - budget;
        system = cutText(system, countTokens(system) - over, countTokens);
        notices.push({ kind: "truncated", message: `Cut the system prompt to fit the model's context of ${fmt(contextSize)} tokens.` });
    }

    const messages = [...history, last];
    const prompt = renderChatPrompt({ system, tools: input.tools, messages });
    const promptTokens = countParts(prompt, countTokens);
    const usage: ChatUsage = {
        contextSize,
        promptTokens,
        maxReplyTokens: Math.max(1, Math.min(input.maxReplyTokens, contextSize - promptTokens)),
        truncated: notices.length > 0,
    };
    return { messages, prompt, usage, notices };
}
