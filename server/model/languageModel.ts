/**
 * The seam between features (completion, chat, agent, refactors) and an inference engine.
 *
 * Engines: `llamaModel.ts` (node-llama-cpp in this process, the default) and an OpenAI-compatible HTTP engine
 * (vLLM / SGLang / llama-server). Features build engine-agnostic `Prompt`s (text + special-token parts) and
 * never touch node-llama-cpp types. Invariants:
 * - Special tokens (`[gMASK]<sop>`, `<|user|>`, ...) are only ever produced from `special()` parts, never from
 *   user text: text that happens to contain "<|user|>" is tokenized as plain text.
 * - Every generation stops on GLM-4's stop set (`<|endoftext|>`, `<|user|>`, `<|observation|>`), reported in
 *   `stoppedBy`, whatever the caller's other stop rules.
 * - A session owns one KV sequence; `generate` reuses the longest common token prefix with what the sequence
 *   holds and evaluates only the rest (reported in `stats`).
 * - Calls on one session are serialized: a call waits for the previous one to settle. Newest-wins callers
 *   abort the previous call's signal first; an aborted call resolves (never rejects) with `stopReason: "abort"`
 *   within one decode step.
 */

export interface PromptPart {
    readonly text: string;
    /** true: tokenized as special tokens (control tokens); false/absent: plain text. */
    readonly special?: boolean;
}
export type Prompt = readonly PromptPart[];

export const text = (t: string): PromptPart => ({ text: t });
export const special = (t: string): PromptPart => ({ text: t, special: true });

/** GLM-4's end-of-generation set. llama.cpp's own EOG set lacks `<|observation|>`; the engines add it. */
export const GLM4_STOP_TOKENS = ["<|endoftext|>", "<|user|>", "<|observation|>"] as const;
export type Glm4StopToken = (typeof GLM4_STOP_TOKENS)[number];

export type GrammarSpec =
    /** A GBNF grammar (llama.cpp syntax). */
    | { readonly kind: "gbnf"; readonly text: string }
    /** A JSON schema the output must satisfy. */
    | { readonly kind: "json-schema"; readonly schema: object };

export interface GenerateOptions {
    /** Upper bound on generated tokens. */
    maxTokens: number;
    /** Stop strings, matched on generated text; the matched string is not part of `text`. */
    stop?: readonly string[];
    /** Stop as soon as this returns true for the text generated so far (e.g. a single-line rule). */
    shouldStop?: (textSoFar: string) => boolean;
    /** Abort: generation stops within one decode step; resolves with stopReason "abort". */
    signal?: AbortSignal;
    /** Epoch ms after which generation stops with stopReason "timeout" (what was generated is kept). */
    deadline?: number;
    temperature?: number;
    topP?: number;
    topK?: number;
    seed?: number;
    /** Constrain sampling (tool-call arguments, or forcing exact output in tests). */
    grammar?: GrammarSpec;
    /** 1 (lowest) .. 5 (highest): completion runs above chat so a chat prefill does not make it wait. */
    priority?: 1 | 2 | 3 | 4 | 5;
    /** Streaming: called with each new piece of decoded text (never splits a UTF-8 character). */
    onText?: (delta: string) => void;
}

export type StopReason = "eog" | "stop" | "maxTokens" | "abort" | "timeout" | "custom";

export interface GenerationStats {
    /** Tokens in the prompt. */
    promptTokens: number;
    /** Prompt tokens already in the KV cache (not evaluated again). */
    reusedPromptTokens: number;
    /** Prompt tokens evaluated for this call (promptTokens - reusedPromptTokens). */
    evaluatedPromptTokens: number;
    generatedTokens: number;
    /** Time from call to first generated token (includes waiting for the session and prompt evaluation). */
    timeToFirstTokenMs: number;
    totalMs: number;
}

export interface GenerateResult {
    text: string;
    stopReason: StopReason;
    /** The stop token ("<|observation|>" ...) or stop string that ended generation, if any. */
    stoppedBy?: string;
    stats: GenerationStats;
}

export type SessionKind = "completion" | "chat" | "agent";

export interface ModelSession {
    readonly kind: SessionKind;
    generate(prompt: Prompt, options: GenerateOptions): Promise<GenerateResult>;
    /** Tokens this session's KV sequence holds now. */
    readonly cachedTokens: number;
    /** Forget the KV state (next call evaluates its whole prompt). */
    reset(): Promise<void>;
    dispose(): void;
}

export interface ModelInfo {
    /** `general.name`, or the file name. */
    name: string;
    /** GGUF `general.architecture` ("glm4"). */
    architecture: string;
    /** Loaded context size of each session, in tokens. */
    contextSize: number;
    /** The model's native (training) context. */
    trainContextSize: number;
    /** Control/special tokens present in the vocabulary (used to pick prompt formats, never the file name). */
    specialTokens: readonly string[];
    /** The GGUF's `tokenizer.chat_template`, if any. */
    chatTemplate?: string;
    /** One sentence: backend, device, layers offloaded, context. */
    device: string;
    /** Which engine serves it. */
    engine: "local" | "openai-compatible";
}

export interface LanguageModel {
    readonly info: ModelInfo;
    /** Token count of plain text (no special tokens), for budgets. */
    countTokens(text: string): number;
    /** A session with its own KV sequence. Several sessions of different kinds run side by side. */
    openSession(kind: SessionKind): ModelSession;
    dispose(): Promise<void>;
}
