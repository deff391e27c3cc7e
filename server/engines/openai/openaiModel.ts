/**
 * `LanguageModel` over an OpenAI-compatible server (vLLM, SGLang, llama-server): each `generate` renders the
 * Prompt to a raw string (render.ts) and streams `POST {base}/completions` (SSE) with `stop` = GLM-4's stop set +
 * the caller's stop strings. The stop strings are also matched here (with the same withholding of partial
 * matches as the local engine), so a server that ignores some still stops. Abort, deadline and `shouldStop`
 * abort the fetch; the call resolves (never rejects) with the matching stopReason. Stats come from `usage`
 * (`prompt_tokens`, `completion_tokens`, `prompt_tokens_details.cached_tokens`) where the server gives them.
 * Grammars go as `grammar`/`json_schema` (llama-server) and `guided_grammar`/`guided_json` (vLLM).
 * Tools: later (the agent builds tool prompts itself; nothing here is tool-specific).
 */
import { glm4Error } from "../../protocol/errors";
import {
    GLM4_STOP_TOKENS, type GenerateOptions, type GenerateResult, type LanguageModel, type ModelInfo, type ModelSession, type Prompt,
    type SessionKind, type StopReason,
} from "../../model/languageModel";
import { StopStringStream } from "../../model/llama/textStream";
import { GLM4_SPECIAL_TEXTS, renderPrompt } from "./render";
import { sseData } from "./sse";

export interface OpenAiConnectOptions {
    /** Base URL, e.g. http://gpu-box:8000/v1 ("/v1" is added when missing). */
    serverUrl: string;
    /** Model name to request; empty: the first one the server lists. */
    serverModel?: string;
    /** Bearer token (default: env GLM4_OPENAI_API_KEY or OPENAI_API_KEY). */
    apiKey?: string;
    signal?: AbortSignal;
}

/** GLM-4 stop token ids (vLLM reports `stop_reason` as the token id when a stop token ended generation). */
const STOP_TOKEN_IDS: Record<number, string> = { 151329: "<|endoftext|>", 151336: "<|user|>", 151338: "<|observation|>" };

export function normalizeBaseUrl(url: string): string {
    const u = url.trim().replace(/\/+$/, "");
    return /\/v1$/.test(u) ? u : `${u}/v1`;
}

interface ModelsResponse { data?: { id?: string; max_model_len?: number; meta?: { n_ctx_train?: number } }[] }

async function getJson(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
    const res = await fetch(url, { headers: { Accept: "application/json", ...headers }, ...(signal ? { signal } : {}) });
    if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new Error(`HTTP ${res.status} from ${url}`);
    }
    return res.json();
}

/** Connects: lists the server's models, picks the configured one (or the first), reads its context size. */
export async function connectOpenAi(o: OpenAiConnectOptions): Promise<OpenAiLanguageModel> {
    const base = normalizeBaseUrl(o.serverUrl);
    const key = o.apiKey ?? process.env.GLM4_OPENAI_API_KEY ?? process.env.OPENAI_API_KEY;
    const headers: Record<string, string> = key ? { Authorization: `Bearer ${key}` } : {};
    let models: ModelsResponse;
    try {
        models = (await getJson(`${base}/models`, headers, o.signal)) as ModelsResponse;
    } catch (e) {
        if (o.signal?.aborted) throw o.signal.reason;
        throw glm4Error("ModelNotLoaded", `Cannot reach the OpenAI-compatible server at ${base}: ${(e as Error).message}. Check glm4.serverUrl and that the server is running.`);
    }
    const list = (models.data ?? []).filter((m) => typeof m.id === "string");
    const wanted = o.serverModel?.trim();
    const entry = wanted ? list.find((m) => m.id === wanted) : list[0];
    if (!entry) {
        throw glm4Error("ModelNotLoaded", wanted
            ? `The server at ${base} does not serve "${wanted}" (it has: ${list.map((m) => m.id).join(", ") || "nothing"}). Check glm4.serverModel.`
            : `The server at ${base} lists no models.`);
    }
    let contextSize = entry.max_model_len ?? entry.meta?.n_ctx_train;
    try {
        // llama-server: the real context size of its slots
        const props = (await getJson(`${base.replace(/\/v1$/, "")}/props`, headers, o.signal)) as { default_generation_settings?: { n_ctx?: number } };
        contextSize = props.default_generation_settings?.n_ctx ?? contextSize;
    } catch {
        if (o.signal?.aborted) throw o.signal.reason;
        // not llama-server
    }
    const info: ModelInfo = {
        name: entry.id!,
        architecture: "glm4",
        contextSize: contextSize ?? 32768,
        trainContextSize: entry.meta?.n_ctx_train ?? 32768,
        // The vocabulary is not visible over HTTP: assume GLM-4-0414's special tokens (no CodeGeeX infill tokens).
        specialTokens: GLM4_SPECIAL_TEXTS.filter((t) => !t.startsWith("<|code_")),
        device: `OpenAI-compatible server at ${base} (model ${entry.id}), ${contextSize ?? 32768} context`,
        engine: "openai-compatible",
    };
    return new OpenAiLanguageModel(base, headers, info);
}

export class OpenAiLanguageModel implements LanguageModel {
    private readonly disposer = new AbortController();
    private readonly inFlight = new Set<Promise<unknown>>();

    constructor(readonly baseUrl: string, private readonly headers: Record<string, string>, readonly info: ModelInfo) {}

    /** No tokenizer over HTTP: UTF-8 bytes / 3, which overestimates GLM-4's ~3.5-4 bytes per token (budgets stay safe). */
    countTokens(text: string): number {
        return Math.ceil(Buffer.byteLength(text, "utf8") / 3);
    }

    openSession(kind: SessionKind): ModelSession {
        return new OpenAiSession(this, kind);
    }

    async dispose(): Promise<void> {
        this.disposer.abort(new Error("model disposed"));
        await Promise.allSettled([...this.inFlight]);
    }

    /** @internal */
    track<T>(p: Promise<T>): Promise<T> {
        this.inFlight.add(p);
        void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
        return p;
    }

    /** @internal */
    async complete(prompt: Prompt, options: GenerateOptions, startedAt: number): Promise<GenerateResult & { cached: number }> {
        const text = renderPrompt(prompt);
        const callerStops = (options.stop ?? []).filter((s) => s.length > 0);
        const stops = [...new Set<string>([...GLM4_STOP_TOKENS, ...callerStops])];
        const stream = new StopStringStream(stops, options.onText);
        const local = new AbortController();
        const signal = AbortSignal.any([local.signal, this.disposer.signal, ...(options.signal ? [options.signal] : [])]);
        let why: StopReason | undefined;
        let stoppedBy: string | undefined;
        const deadlineTimer = options.deadline !== undefined
            ? setTimeout(() => { why ??= "timeout"; local.abort(); }, Math.max(0, options.deadline - Date.now()))
            : undefined;
        const stats = { promptTokens: 0, reusedPromptTokens: 0, evaluatedPromptTokens: 0, generatedTokens: 0, timeToFirstTokenMs: 0, totalMs: 0 };
        let usage: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } } | undefined;
        let finish: string | undefined;
        let stopReasonField: unknown;
        let chunks = 0;

        const body: Record<string, unknown> = {
            model: this.info.name, prompt: text, max_tokens: Math.max(1, Math.floor(options.maxTokens)), stream: true,
            stream_options: { include_usage: true }, stop: stops, temperature: options.temperature ?? 0,
            skip_special_tokens: false, include_stop_str_in_output: false,
            ...(options.topP !== undefined ? { top_p: options.topP } : {}),
            ...(options.topK !== undefined ? { top_k: options.topK } : {}),
            ...(options.seed !== undefined ? { seed: options.seed } : {}),
        };
        if (options.grammar?.kind === "gbnf") Object.assign(body, { grammar: options.grammar.text, guided_grammar: options.grammar.text });
        if (options.grammar?.kind === "json-schema") Object.assign(body, { json_schema: options.grammar.schema, guided_json: options.grammar.schema });

        try {
            if (options.maxTokens <= 0) {
                why = "maxTokens";
            } else if (!signal.aborted) {
                const res = await fetch(`${this.baseUrl}/completions`, {
                    method: "POST", headers: { "Content-Type": "application/json", Accept: "text/event-stream", ...this.headers },
                    body: JSON.stringify(body), signal,
                });
                if (!res.ok || !res.body) {
                    const detail = (await res.text().catch(() => "")).slice(0, 300);
                    throw glm4Error(res.status === 400 && /context|too long|maximum/i.test(detail) ? "ContextOverflow" : "ModelNotLoaded",
                        `The OpenAI-compatible server answered HTTP ${res.status}: ${detail}`);
                }
                for await (const data of sseData(res.body as unknown as AsyncIterable<Uint8Array>)) {
                    if (data === "[DONE]") break;
                    let msg: { choices?: { text?: string; finish_reason?: string | null; stop_reason?: unknown }[]; usage?: typeof usage };
                    try {
                        msg = JSON.parse(data);
                    } catch {
                        continue;
                    }
                    if (msg.usage) usage = msg.usage;
                    const choice = msg.choices?.[0];
                    if (!choice) continue;
                    if (choice.text) {
                        if (chunks++ === 0) stats.timeToFirstTokenMs = performance.now() - startedAt;
                        const hit = stream.push(choice.text);
                        if (hit !== undefined) {
                            why = (GLM4_STOP_TOKENS as readonly string[]).includes(hit) ? "eog" : "stop";
                            stoppedBy = hit;
                            local.abort();
                            break;
                        }
                        if (options.shouldStop?.(stream.text)) {
                            why = "custom";
                            local.abort();
                            break;
                        }
                    }
                    if (choice.finish_reason) {
                        finish = choice.finish_reason;
                        stopReasonField = choice.stop_reason;
                    }
                }
            }
        } catch (e) {
            if (!signal.aborted) {
                if ((e as { data?: unknown }).data) throw e;
                throw glm4Error("ModelNotLoaded", `The OpenAI-compatible server failed: ${(e as Error).message}`);
            }
        } finally {
            clearTimeout(deadlineTimer);
        }
        if (why === undefined && signal.aborted) why = "abort";
        stream.finish();
        if (why === undefined) {
            if (finish === "length") why = "maxTokens";
            else {
                const named = typeof stopReasonField === "number" ? STOP_TOKEN_IDS[stopReasonField] : typeof stopReasonField === "string" ? stopReasonField : undefined;
                why = named !== undefined && !(GLM4_STOP_TOKENS as readonly string[]).includes(named) ? "stop" : "eog";
                if (named !== undefined) stoppedBy = named;
            }
        }
        stats.totalMs = performance.now() - startedAt;
        if (chunks === 0) stats.timeToFirstTokenMs = stats.totalMs;
        stats.promptTokens = usage?.prompt_tokens ?? this.countTokens(text);
        stats.generatedTokens = usage?.completion_tokens ?? chunks;
        const cached = Math.min(stats.promptTokens, usage?.prompt_tokens_details?.cached_tokens ?? 0);
        stats.reusedPromptTokens = cached;
        stats.evaluatedPromptTokens = stats.promptTokens - cached;
        const result: GenerateResult & { cached: number } = { text: stream.text, stopReason: why, stats, cached: stats.promptTokens + stats.generatedTokens };
        if (stoppedBy !== undefined) result.stoppedBy = stoppedBy;
        return result;
    }
}

class OpenAiSession implements ModelSession {
    private queue: Promise<unknown> = Promise.resolve();
    private held = 0;
    private disposed = false;

    constructor(private readonly model: OpenAiLanguageModel, readonly kind: SessionKind) {}

    get cachedTokens(): number {
        return this.held;
    }

    generate(prompt: Prompt, options: GenerateOptions): Promise<GenerateResult> {
        if (this.disposed) return Promise.reject(glm4Error("ModelNotLoaded", "The session was disposed."));
        const startedAt = performance.now();
        const prev = this.queue;
        const run = (async (): Promise<GenerateResult> => {
            await prev.catch(() => undefined);
            const r = await this.model.complete(prompt, options, startedAt);
            this.held = r.cached;
            const { cached: _cached, ...result } = r;
            return result;
        })();
        this.queue = run.catch(() => undefined);
        return this.model.track(run);
    }

    async reset(): Promise<void> {
        this.held = 0; // the server's prefix cache is its own business
    }

    dispose(): void {
        this.disposed = true;
    }
}
