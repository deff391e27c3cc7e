/**
 * An OpenAI-compatible completion server for tests: real HTTP (SSE streaming) in front of real inference on
 * the tiny GLM-4 model through node-llama-cpp (the product's own local engine). Like llama-server it parses
 * special-token text in the prompt (the prompt is one special part), stops on GLM-4's stop tokens and the
 * request's `stop` strings, honours `max_tokens`, `temperature`, `seed` and a GBNF `grammar`, reports `usage`
 * (with `prompt_tokens_details.cached_tokens` from KV reuse) and vLLM's `stop_reason`, and stops generating
 * when the client disconnects.
 *
 * Routes: GET /v1/models, POST /v1/completions (stream true or false).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { loadLlamaModel, type LlamaLanguageModel } from "../../server/model/llamaModel";
import { GLM4_STOP_TOKENS, special, type GenerateOptions, type ModelSession } from "../../server/model/languageModel";
import { fixtureModelPath, testThreads } from "./models";

export interface OpenAiTestServer {
    url: string;
    /** Base URL with /v1. */
    baseUrl: string;
    modelId: string;
    /** Every /v1/completions request body, in order. */
    requests: Record<string, unknown>[];
    /** Completions aborted because the client went away. */
    aborted: number;
    close(): Promise<void>;
}

export async function startOpenAiServer(options: { modelPath?: string; modelId?: string; contextSize?: number } = {}): Promise<OpenAiTestServer> {
    const model: LlamaLanguageModel = await loadLlamaModel({
        modelPath: options.modelPath ?? fixtureModelPath("tiny"), gpuLayers: 0, contextSize: options.contextSize ?? 2048, threads: testThreads(), gpu: false,
    });
    const modelId = options.modelId ?? "glm4-tiny";
    const session: ModelSession = model.openSession("chat");
    const requests: Record<string, unknown>[] = [];
    const state = { aborted: 0 };

    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://x");
        const json = (status: number, body: unknown): void => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify(body));
        };
        if (req.method === "GET" && url.pathname === "/v1/models") {
            return json(200, { object: "list", data: [{ id: modelId, object: "model", owned_by: "test", max_model_len: model.info.contextSize }] });
        }
        if (req.method !== "POST" || url.pathname !== "/v1/completions") return json(404, { error: { message: "no route" } });
        let raw = "";
        req.on("data", (c: Buffer) => { raw += c.toString("utf8"); });
        req.on("end", () => {
            let body: Record<string, unknown>;
            try {
                body = JSON.parse(raw) as Record<string, unknown>;
            } catch {
                return json(400, { error: { message: "bad JSON" } });
            }
            requests.push(body);
            if (body.model !== modelId) return json(404, { error: { message: `model ${String(body.model)} not found` } });
            if (typeof body.prompt !== "string") return json(400, { error: { message: "prompt must be a string" } });
            void complete(body, res);
        });
    });

    async function complete(body: Record<string, unknown>, res: http.ServerResponse): Promise<void> {
        const controller = new AbortController();
        res.on("close", () => { if (!res.writableFinished) { state.aborted++; controller.abort(); } });
        const stream = body.stream === true;
        const id = `cmpl-${Date.now()}`;
        const send = (obj: unknown): void => { if (!res.destroyed) res.write(`data: ${JSON.stringify(obj)}\n\n`); };
        if (stream) res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        const stops = Array.isArray(body.stop) ? (body.stop as unknown[]).filter((s): s is string => typeof s === "string") : [];
        const opts: GenerateOptions = {
            maxTokens: typeof body.max_tokens === "number" ? body.max_tokens : 16,
            stop: stops.filter((s) => !(GLM4_STOP_TOKENS as readonly string[]).includes(s)),
            signal: controller.signal,
            temperature: typeof body.temperature === "number" ? body.temperature : 0,
            ...(typeof body.seed === "number" ? { seed: body.seed } : {}),
            ...(typeof body.grammar === "string" ? { grammar: { kind: "gbnf" as const, text: body.grammar } } : {}),
            ...(stream ? { onText: (delta: string) => send({ id, object: "text_completion", model: modelId, choices: [{ index: 0, text: delta, finish_reason: null }] }) } : {}),
        };
        try {
            const r = await session.generate([special(body.prompt as string)], opts);
            const finish = r.stopReason === "maxTokens" ? "length" : "stop";
            const usage = {
                prompt_tokens: r.stats.promptTokens, completion_tokens: r.stats.generatedTokens, total_tokens: r.stats.promptTokens + r.stats.generatedTokens,
                prompt_tokens_details: { cached_tokens: r.stats.reusedPromptTokens },
            };
            if (stream) {
                send({ id, object: "text_completion", model: modelId, choices: [{ index: 0, text: "", finish_reason: finish, stop_reason: r.stoppedBy ?? null }] });
                send({ id, object: "text_completion", model: modelId, choices: [], usage });
                if (!res.destroyed) res.end("data: [DONE]\n\n");
            } else {
                json200(res, { id, object: "text_completion", model: modelId, choices: [{ index: 0, text: r.text, finish_reason: finish, stop_reason: r.stoppedBy ?? null }], usage });
            }
        } catch (e) {
            if (!res.headersSent) json200(res, { error: { message: (e as Error).message } }, 500);
            else res.destroy();
        }
    }

    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    return {
        url, baseUrl: `${url}/v1`, modelId, requests,
        get aborted() { return state.aborted; },
        async close() {
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
            await model.dispose();
        },
    };
}

function json200(res: http.ServerResponse, body: unknown, status = 200): void {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
}
