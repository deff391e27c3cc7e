/**
 * The OpenAI-compatible engine against a real streaming server (test/support/openaiServer.ts: real HTTP in
 * front of real inference on the tiny GLM-4 model). Output is forced with GBNF grammars, which the engine
 * forwards (llama-server's `grammar`). Then completion and chat through the LSP server with
 * glm4.engine = "openai-compatible".
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startOpenAiServer, type OpenAiTestServer } from "../support/openaiServer";
import { connectOpenAi, normalizeBaseUrl, type OpenAiLanguageModel } from "../../server/engines/openai/openaiModel";
import { neutralizeSpecials, renderPrompt } from "../../server/engines/openai/render";
import { sseData } from "../../server/engines/openai/sse";
import { special, text, type Prompt } from "../../server/model/languageModel";
import { LspHarness, positionOf } from "../support/lspHarness";
import { InlineCompletionFeature } from "../../server/completion/feature";
import { ChatFeature } from "../../server/chat/feature";
import { ChatRequest } from "../../server/protocol/chat";

const gbnf = (t: string) => ({ kind: "gbnf", text: t }) as const;
const PROMPT: Prompt = [special("[gMASK]<sop><|user|>"), text("\nSay hello."), special("<|assistant|>")];

let srv: OpenAiTestServer;
let model: OpenAiLanguageModel;

before(async () => {
    srv = await startOpenAiServer();
    model = await connectOpenAi({ serverUrl: srv.url, serverModel: "" });
});
after(async () => {
    await model?.dispose();
    await srv?.close();
});

test("prompt rendering: special parts verbatim, special-token text in plain parts neutralized", () => {
    assert.equal(renderPrompt([special("[gMASK]<sop>"), text("a <|user|> b [gMASK]"), special("<|assistant|>")]),
        "[gMASK]<sop>a <\u200b|user|> b [\u200bgMASK]<|assistant|>");
    assert.equal(neutralizeSpecials("no specials here"), "no specials here");
    assert.equal(normalizeBaseUrl("http://gpu-box:8000/"), "http://gpu-box:8000/v1");
    assert.equal(normalizeBaseUrl("http://gpu-box:8000/v1"), "http://gpu-box:8000/v1");
});

test("SSE parsing: events split across chunks, multi-line data, [DONE]", async () => {
    const enc = new TextEncoder();
    async function* body() {
        yield enc.encode("data: {\"a\":");
        yield enc.encode("1}\n\ndata: x\r\ndata: y\n\n: comment\n\ndata: [DONE]\n\n");
    }
    const got: string[] = [];
    for await (const d of sseData(body())) got.push(d);
    assert.deepEqual(got, ["{\"a\":1}", "x\ny", "[DONE]"]);
});

test("connect: the server's model list and context size; an unknown model or server is ModelNotLoaded", async () => {
    assert.equal(model.info.name, "glm4-tiny");
    assert.equal(model.info.engine, "openai-compatible");
    assert.equal(model.info.contextSize, 2048);
    assert.match(model.info.device, /OpenAI-compatible server at http:\/\/127\.0\.0\.1:\d+\/v1/);
    const kind = (e: unknown) => (e as { data?: { kind?: string } }).data?.kind;
    await assert.rejects(connectOpenAi({ serverUrl: srv.baseUrl, serverModel: "other" }), (e: unknown) => kind(e) === "ModelNotLoaded" && /does not serve "other"/.test((e as Error).message));
    await assert.rejects(connectOpenAi({ serverUrl: "http://127.0.0.1:9/v1" }), (e: unknown) => kind(e) === "ModelNotLoaded");
});

test("generate streams the forced text, stops on the end token, reports usage; the request carries the GLM stop set", async () => {
    const deltas: string[] = [];
    const r = await model.openSession("chat").generate(PROMPT, { maxTokens: 64, grammar: gbnf(`root ::= "Hello from GLM-4 over HTTP."`), onText: (d) => deltas.push(d), stop: ["\n\n"] });
    assert.equal(r.text, "Hello from GLM-4 over HTTP.");
    assert.equal(deltas.join(""), r.text);
    assert.ok(deltas.length >= 2);
    assert.equal(r.stopReason, "eog");
    assert.ok(["<|endoftext|>", "<|user|>"].includes(r.stoppedBy ?? ""), r.stoppedBy); // the grammar ends: an end-of-generation token
    assert.ok(r.stats.promptTokens > 5 && r.stats.generatedTokens > 3, JSON.stringify(r.stats));
    const body = srv.requests.at(-1)!;
    assert.equal(body.prompt, "[gMASK]<sop><|user|>\nSay hello.<|assistant|>");
    assert.deepEqual(body.stop, ["<|endoftext|>", "<|user|>", "<|observation|>", "\n\n"]);
    assert.equal(body.stream, true);
});

test("a caller stop string ends generation without being part of the text", async () => {
    const r = await model.openSession("chat").generate(PROMPT, { maxTokens: 64, grammar: gbnf(`root ::= "alpha STOP beta"`), stop: ["STOP"] });
    assert.equal(r.text, "alpha ");
    assert.equal(r.stopReason, "stop");
    assert.equal(r.stoppedBy, "STOP");
});

test("maxTokens, shouldStop and a past deadline", async () => {
    const s = model.openSession("completion");
    const long = gbnf(`root ::= [a-z ]+`);
    const capped = await s.generate(PROMPT, { maxTokens: 3, grammar: long });
    assert.equal(capped.stopReason, "maxTokens");
    assert.equal(capped.stats.generatedTokens, 3);
    const custom = await s.generate(PROMPT, { maxTokens: 200, grammar: long, shouldStop: (t) => t.length >= 5 });
    assert.equal(custom.stopReason, "custom");
    assert.ok(custom.text.length >= 5);
    const late = await s.generate(PROMPT, { maxTokens: 200, grammar: long, deadline: Date.now() - 1 });
    assert.equal(late.stopReason, "timeout");
});

test("abort mid-stream resolves with stopReason abort, and the server stops generating", async () => {
    const controller = new AbortController();
    const abortedBefore = srv.aborted;
    const r = await model.openSession("chat").generate(PROMPT, {
        maxTokens: 1500, grammar: gbnf(`root ::= [a-z ]+`), signal: controller.signal, onText: () => controller.abort(),
    });
    assert.equal(r.stopReason, "abort");
    for (let i = 0; i < 50 && srv.aborted === abortedBefore; i++) await new Promise((res) => setTimeout(res, 20));
    assert.ok(srv.aborted > abortedBefore, "the server saw the client go away and aborted its generation");
});

test("KV reuse reported by the server shows up in the stats", async () => {
    const s = model.openSession("chat");
    const p: Prompt = [special("[gMASK]<sop><|user|>"), text("\n" + "a long shared prefix ".repeat(10)), special("<|assistant|>")];
    await s.generate(p, { maxTokens: 2, grammar: gbnf(`root ::= "ok"`) });
    const again = await s.generate(p, { maxTokens: 2, grammar: gbnf(`root ::= "ok"`) });
    assert.ok(again.stats.reusedPromptTokens > 10, JSON.stringify(again.stats));
    assert.equal(again.stats.evaluatedPromptTokens, again.stats.promptTokens - again.stats.reusedPromptTokens);
});

test("LSP: inline completion and chat work with glm4.engine = openai-compatible", async () => {
    const completion = new InlineCompletionFeature({ grammar: gbnf(`root ::= "return a + b;"`) });
    const chat = new ChatFeature({ sampling: { grammar: gbnf(`root ::= "\\nHello over HTTP."`) }, systemPrompt: "You are a test." });
    const h = await LspHarness.start({
        settings: { engine: "openai-compatible", serverUrl: srv.url, serverModel: "glm4-tiny", completion: { timeoutMs: 600_000 } },
        server: { features: () => [completion, chat] },
    });
    try {
        const status = await h.waitForModel();
        assert.equal(status.state, "ready", status.error);
        assert.match(status.device ?? "", /OpenAI-compatible server/);
        const before = srv.requests.length;
        const doc = h.open("src/add.ts", "export function add(a: number, b: number): number {\n  \n}\n");
        const at = positionOf(doc, "{\n  ", { after: true });
        const got = await h.inlineCompletion(doc, at);
        const items = got === null ? [] : Array.isArray(got) ? got : got.items;
        assert.deepEqual(items.map((i) => i.insertText), ["return a + b;"]);
        assert.ok(String(srv.requests[before]!.prompt).startsWith("[gMASK]<sop>"));

        const reply = await h.request(ChatRequest.type, { chatId: "c1", action: "send", input: { text: "Say hello" } });
        assert.equal(reply.reply.parts.map((p) => (p.kind === "text" ? p.text : "")).join(""), "\nHello over HTTP.");
        assert.equal(reply.stopReason, "eog");
    } finally {
        await h.dispose();
    }
});
