/**
 * The `glm4` settings section, shared by the extension (package.json `contributes.configuration`) and the
 * server (`initializationOptions` and `workspace/configuration`, section "glm4"). A sync test checks that
 * package.json and `DEFAULT_SETTINGS` describe the same keys. This module imports nothing.
 */

export type Auto<T> = "auto" | T;

export interface CompletionSettings {
    /** Inline completion on/off. */
    enabled: boolean;
    /** VS Code language ids where inline completion is off. */
    disabledLanguages: string[];
    /** Upper bound on lines of a block suggestion. */
    maxLines: number;
    /** Upper bound on generated tokens per suggestion. */
    maxTokens: number;
    /** Time cap for one suggestion, in ms; generation stops and what is there is returned. */
    timeoutMs: number;
    /** Prompt format; "auto" picks from the model's own vocabulary/template, never its file name. */
    format: "auto" | "codegeex" | "fill-in";
    /** Tokens of context from other recently edited/opened files. 0 turns cross-file context off. */
    crossFileTokens: number;
    /** Lower bound of the adaptive debounce, in ms (the client waits longer while the user types fast). */
    debounceMs: number;
}

export interface ChatSettings {
    /** Max tokens of one assistant reply. */
    maxTokens: number;
    temperature: number;
}

export interface Glm4Settings {
    /** A local `.gguf` path or an `hf:` URI (node-llama-cpp's model URI). */
    model: string;
    /** An optional second, faster model for inline completion ("" = the main model): a `.gguf` path or an `hf:` URI. */
    completionModel: string;
    /** An optional draft model for speculative decoding of chat ("" = off); must share the main model's tokenizer. */
    draftModel: string;
    /** "auto" lets node-llama-cpp fit as many layers as VRAM allows. */
    gpuLayers: Auto<number>;
    /** "auto" = the largest that fits, capped at the model's native context (32K for GLM-4-0414). */
    contextSize: Auto<number>;
    /** "auto" = the real core count of this machine. */
    threads: Auto<number>;
    /** "local" runs node-llama-cpp in the server; "openai-compatible" talks to vLLM/SGLang/llama-server. */
    engine: "local" | "openai-compatible";
    /** Base URL of an OpenAI-compatible server (engine "openai-compatible"), e.g. http://gpu-box:8000/v1. */
    serverUrl: string;
    /** Model name sent to the OpenAI-compatible server. */
    serverModel: string;
    /** Unload the local model after this many idle minutes; 0 keeps it loaded. */
    idleUnloadMinutes: number;
    completion: CompletionSettings;
    chat: ChatSettings;
}

/** The default model: GLM-4-32B-0414 at Q4_K_M (~19.7 GB), downloaded on first use. */
export const DEFAULT_MODEL_URI = "hf:bartowski/THUDM_GLM-4-32B-0414-GGUF:Q4_K_M";

export const DEFAULT_SETTINGS: Glm4Settings = {
    model: DEFAULT_MODEL_URI,
    completionModel: "",
    draftModel: "",
    gpuLayers: "auto",
    contextSize: "auto",
    threads: "auto",
    engine: "local",
    serverUrl: "",
    serverModel: "",
    idleUnloadMinutes: 0,
    completion: {
        enabled: true,
        disabledLanguages: ["plaintext", "markdown", "scminput"],
        maxLines: 16,
        maxTokens: 128,
        timeoutMs: 5000,
        format: "auto",
        crossFileTokens: 512,
        debounceMs: 75,
    },
    chat: {
        maxTokens: 2048,
        temperature: 0.2,
    },
};

/** The configuration section name. */
export const SETTINGS_SECTION = "glm4";
