/**
 * LanguageModel over node-llama-cpp, on the tiny random-weight GLM-4 fixture (real tokenizer, sampler,
 * grammar and KV cache). Specific outputs are forced with grammars, never assumed from random weights.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ResponseError } from "vscode-languageserver-protocol";
import { fixtureModelPath, testThreads } from "../support/models";
import { GLM4_SPECIAL_TOKENS } from "../support/gguf/glm4Model";
import { loadLlamaModel, type LlamaLanguageModel } from "../../server/model/llamaModel";
import { special, text, type GenerateOptions, type Prompt } from "../../server/model/languageModel";

const gbnf = (t: string): GenerateOptions["grammar"] => ({ kind: "gbnf", text: t });
const PROMPT: Prompt = [special("[gMASK]<sop><|user|>\n"), text("write a function"), special("<|assistant|>\n")];
const load = () => loadLlamaModel({ modelPath: fixtureModelPath("tiny"), gpuLayers: "auto", contextSize: "auto", threads: testThreads() });

function errorKind(e: unknown): string | undefined {
    return e instanceof ResponseError ? (e.data as { kind?: string } | undefined)?.kind : undefined;
}

describe("llamaModel", () => {
    let model: LlamaLanguageModel;
    before(async () => { model = await load(); });
    after(async () => { await model?.dispose(); });

    test("info describes the GGUF: name, glm4, contexts, control tokens, template, device", () => {
        assert.equal(model.info.name, "glm4-tiny-random");
        assert.equal(model.info.architecture, "glm4");
        assert.equal(model.info.trainContextSize, 4096);
        assert.ok(model.info.contextSize > 0 && model.info.contextSize <= 4096, `contextSize ${model.info.contextSize}`);
        assert.deepEqual([...model.info.specialTokens], [...GLM4_SPECIAL_TOKENS]);
        assert.ok(model.info.chatTemplate?.startsWith("[gMASK]<sop>"));
        assert.equal(model.info.engine, "local");
        assert.match(model.info.device, new RegExp(`^CPU, ${testThreads()} threads.*, ${model.info.contextSize} context$`));
    });

    test("streams text and stops at maxTokens", async () => {
        const deltas: string[] = [];
        const r = await model.openSession("chat").generate(PROMPT, { maxTokens: 10, grammar: gbnf("root ::= [a-z]{64}"), onText: (d) => deltas.push(d) });
        assert.equal(r.stopReason, "maxTokens");
        assert.equal(r.stats.generatedTokens, 10);
        assert.match(r.text, /^[a-z]{10,}$/);
        assert.ok(deltas.length > 1, "streamed in several pieces");
        assert.equal(deltas.join(""), r.text);
    });

    test("a grammar forces an exact string, then an end-of-generation token stops it", async () => {
        const r = await model.openSession("chat").generate(PROMPT, { maxTokens: 50, grammar: gbnf('root ::= "hello(world)"') });
        assert.equal(r.text, "hello(world)");
        assert.equal(r.stopReason, "eog");
        assert.ok(r.stoppedBy === "<|endoftext|>" || r.stoppedBy === "<|user|>", `stoppedBy ${r.stoppedBy}`);
    });

    test("a JSON schema grammar gives JSON of that shape", async () => {
        const schema = { type: "object", properties: { city: { enum: ["Paris"] } } };
        const r = await model.openSession("chat").generate(PROMPT, { maxTokens: 40, grammar: { kind: "json-schema", schema } });
        assert.deepEqual(JSON.parse(r.text), { city: "Paris" });
    });

    test("a stop string ends generation and is never streamed", async () => {
        const deltas: string[] = [];
        const r = await model.openSession("chat").generate(PROMPT, {
            maxTokens: 50, stop: ["STOP"], grammar: gbnf('root ::= "alpha STOP beta"'), onText: (d) => deltas.push(d),
        });
        assert.equal(r.stopReason, "stop");
        assert.equal(r.stoppedBy, "STOP");
        assert.equal(r.text, "alpha ");
        assert.equal(deltas.join(""), "alpha ");
    });

    test("a withheld stop-string prefix is released when it turns out not to be one", async () => {
        const deltas: string[] = [];
        const r = await model.openSession("chat").generate(PROMPT, {
            maxTokens: 50, stop: ["STOP"], grammar: gbnf('root ::= "a STO"'), onText: (d) => deltas.push(d),
        });
        assert.equal(r.stopReason, "eog");
        assert.equal(r.text, "a STO");
        assert.equal(deltas.join(""), "a STO");
    });

    test("<|observation|> (not in llama.cpp's end-of-generation set) stops generation by token id", async () => {
        // A GBNF token reference makes the engine really sample the control token.
        const r = await model.openSession("agent").generate(PROMPT, { maxTokens: 50, grammar: gbnf('root ::= "get_weather\\n{}" <|observation|>') });
        assert.equal(r.stopReason, "eog");
        assert.equal(r.stoppedBy, "<|observation|>");
        assert.equal(r.text, "get_weather\n{}");
    });

    test("the text \"<|observation|>\" in output is text, not the stop token", async () => {
        const r = await model.openSession("agent").generate(PROMPT, { maxTokens: 60, grammar: gbnf('root ::= "a<|observation|>b"') });
        assert.equal(r.text, "a<|observation|>b");
        assert.notEqual(r.stoppedBy, "<|observation|>");
    });

    test("text containing <|user|> is tokenized as plain text, special parts as control tokens", async () => {
        const asText = model.tokenize([text("a<|user|>b")]);
        const asSpecial = model.tokenize([special("<|user|>")]);
        assert.equal(asSpecial.length, 1);
        assert.ok(!asText.includes(asSpecial[0]!), "no control token from text");
        assert.equal(asText.length, model.countTokens("a<|user|>b"));
        assert.ok(model.countTokens("<|user|>") > 1);
        const r = await model.openSession("chat").generate([...PROMPT.slice(0, 1), text("a<|user|>b"), PROMPT[2]!], { maxTokens: 5, grammar: gbnf('root ::= "ok"') });
        assert.equal(r.text, "ok");
        assert.equal(r.stats.promptTokens, model.tokenize(PROMPT.slice(0, 1)).length + asText.length + model.tokenize([PROMPT[2]!]).length);
    });

    test("multi-byte characters are never split in streamed text", async () => {
        const deltas: string[] = [];
        const r = await model.openSession("chat").generate(PROMPT, { maxTokens: 40, grammar: gbnf('root ::= "é€😀"'), onText: (d) => deltas.push(d) });
        assert.equal(r.text, "é€😀");
        assert.equal(deltas.join(""), "é€😀");
        assert.ok(deltas.every((d) => !d.includes("\uFFFD")), JSON.stringify(deltas));
    });

    test("KV reuse: the same prompt plus 5 tokens evaluates exactly those 5", async () => {
        const s = model.openSession("completion");
        await s.reset();
        assert.equal(s.cachedTokens, 0);
        const first = await s.generate(PROMPT, { maxTokens: 8, grammar: gbnf('root ::= "hello"') });
        assert.equal(first.stats.reusedPromptTokens, 0);
        assert.equal(first.stats.evaluatedPromptTokens, first.stats.promptTokens);
        assert.ok(s.cachedTokens >= first.stats.promptTokens);
        const extra = text("vwxyz"); // 5 byte tokens, no merges apply
        assert.equal(model.tokenize([extra]).length, 5);
        const second = await s.generate([...PROMPT, extra], { maxTokens: 3, grammar: gbnf('root ::= "ok"') });
        assert.equal(second.stats.promptTokens, first.stats.promptTokens + 5);
        assert.equal(second.stats.reusedPromptTokens, first.stats.promptTokens);
        assert.equal(second.stats.evaluatedPromptTokens, 5);
        // The whole prompt is cached: only the last token is evaluated again, for its logits.
        const third = await s.generate([...PROMPT, extra], { maxTokens: 3, grammar: gbnf('root ::= "ok"') });
        assert.equal(third.stats.reusedPromptTokens, third.stats.promptTokens - 1);
        assert.equal(third.stats.evaluatedPromptTokens, 1);
        assert.equal(third.text, "ok");
        assert.ok(third.stats.timeToFirstTokenMs <= third.stats.totalMs);
    });

    test("abort mid-generation resolves with \"abort\" within a decode step; the next call works", async () => {
        const s = model.openSession("chat");
        const ac = new AbortController();
        const r = await s.generate(PROMPT, {
            maxTokens: 200, grammar: gbnf("root ::= [a-z]{300}"), signal: ac.signal, onText: () => ac.abort(),
        });
        assert.equal(r.stopReason, "abort");
        assert.equal(r.stats.generatedTokens, 1);
        const next = await s.generate(PROMPT, { maxTokens: 10, grammar: gbnf('root ::= "again"') });
        assert.equal(next.text, "again");
    });

    test("an already aborted call resolves at once without generating", async () => {
        const ac = new AbortController();
        ac.abort();
        const r = await model.openSession("chat").generate(PROMPT, { maxTokens: 10, signal: ac.signal });
        assert.equal(r.stopReason, "abort");
        assert.equal(r.stats.generatedTokens, 0);
        assert.equal(r.text, "");
    });

    test("calls on one session kind are serialized; a waiting call can be aborted", async () => {
        const s1 = model.openSession("chat");
        const s2 = model.openSession("chat");
        const events: string[] = [];
        const ac = new AbortController();
        const a = s1.generate(PROMPT, { maxTokens: 20, grammar: gbnf('root ::= "first"'), onText: () => events.push("a") });
        const b = s2.generate(PROMPT, { maxTokens: 20, grammar: gbnf('root ::= "x"'), signal: ac.signal, onText: () => events.push("b") });
        const c = s1.generate(PROMPT, { maxTokens: 20, grammar: gbnf('root ::= "second"'), onText: () => events.push("c") });
        ac.abort();
        const [ra, rb, rc] = await Promise.all([a, b, c]);
        assert.equal(rb.stopReason, "abort");
        assert.equal(ra.text, "first");
        assert.equal(rc.text, "second");
        assert.ok(!events.includes("b"));
        assert.ok(events.lastIndexOf("a") < events.indexOf("c"), events.join(""));
    });

    test("deadline, shouldStop and context overflow", async () => {
        const s = model.openSession("chat");
        const late = await s.generate(PROMPT, { maxTokens: 10, deadline: Date.now() - 1 });
        assert.equal(late.stopReason, "timeout");
        const custom = await s.generate(PROMPT, { maxTokens: 50, grammar: gbnf('root ::= "one\\ntwo"'), shouldStop: (t) => t.includes("\n") });
        assert.equal(custom.stopReason, "custom");
        assert.match(custom.text, /^one\n/);
        await assert.rejects(s.generate([text("a".repeat(model.info.contextSize + 10))], { maxTokens: 5 }), (e) => errorKind(e) === "ContextOverflow");
        await assert.rejects(s.generate(PROMPT, { maxTokens: 5, grammar: gbnf("root ::= <|no-such-token|>") }), (e) => errorKind(e) === "InvalidParams");
    });
});

describe("llamaModel lifecycle", () => {
    test("dispose aborts a running generation (resolves \"abort\"); later calls reject ModelNotLoaded", async () => {
        const m = await load();
        const s = m.openSession("chat");
        let disposing: Promise<void> | undefined;
        const r = await s.generate(PROMPT, { maxTokens: 200, grammar: gbnf("root ::= [a-z]{300}"), onText: () => { disposing ??= m.dispose(); } });
        await disposing;
        assert.equal(r.stopReason, "abort");
        await assert.rejects(s.generate(PROMPT, { maxTokens: 5 }), (e) => errorKind(e) === "ModelNotLoaded");
    });
});
