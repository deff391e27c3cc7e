/**
 * Speculative decoding on the tiny fixtures: `tiny` as the main model, `tiny-f16` (same weights in f16, same
 * tokenizer) as its draft, through node-llama-cpp's DraftSequenceTokenPredictor (verifier "node-llama-cpp") and
 * through our batch verifier (llama/speculative.ts, the default); `tiny-agree` pairs always agree;
 * `tiny-codegeex` (a different vocabulary) is refused.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ResponseError } from "vscode-languageserver-protocol";
import { fixtureModelPath, testThreads } from "../support/models";
import { loadLlamaModel, type LlamaLanguageModel } from "../../server/model/llamaModel";
import { special, text, type GenerateOptions, type Prompt } from "../../server/model/languageModel";

const gbnf = (t: string): GenerateOptions["grammar"] => ({ kind: "gbnf", text: t });
const PROMPT: Prompt = [special("[gMASK]<sop><|user|>\n"), text("write a function"), special("<|assistant|>\n")];
/** Wait for 4 drafted tokens whatever their probability: the random-weight draft is never confident. */
const DRAFT = { verifier: "node-llama-cpp", minTokens: 4, minConfidence: 0 } as const;
const load = (name: "tiny" | "tiny-f16" | "tiny-codegeex" | "tiny-agree") =>
    loadLlamaModel({ modelPath: fixtureModelPath(name), gpuLayers: 0, contextSize: 512, threads: testThreads() });

describe("draft model (speculative decoding), node-llama-cpp's predictor", () => {
    let plain: LlamaLanguageModel;
    let speculative: LlamaLanguageModel;
    before(async () => {
        plain = await load("tiny");
        speculative = await load("tiny");
        speculative.attachDraft(await load("tiny-f16"), DRAFT);
    });
    after(async () => {
        await plain?.dispose();
        await speculative?.dispose();
    });

    test("chat output under a grammar is identical with and without the draft, and the draft's predictions are used", async () => {
        const options: GenerateOptions = { maxTokens: 40, grammar: gbnf('root ::= "def add(a, b):" [a-z ]{30}') };
        const expected = await plain.openSession("chat").generate(PROMPT, options);
        const got = await speculative.openSession("chat").generate(PROMPT, options);
        assert.equal(got.text, expected.text);
        assert.equal(got.stopReason, expected.stopReason);
        assert.ok(got.text.startsWith("def add(a, b):"), got.text);
        const stats = speculative.draftStats;
        assert.ok(stats.validated > 0, `validated ${stats.validated}, refuted ${stats.refuted}`);
        assert.equal(speculative.draftName, "glm4-tiny-random");
        // A second turn reuses the KV cache with the predictor in place.
        const again = await speculative.openSession("chat").generate([...PROMPT, text(got.text), special("<|user|>\n"), text("more"), special("<|assistant|>\n")], options);
        const againPlain = await plain.openSession("chat").generate([...PROMPT, text(expected.text), special("<|user|>\n"), text("more"), special("<|assistant|>\n")], options);
        assert.equal(again.text, againPlain.text);
        assert.ok(again.stats.reusedPromptTokens > 0);
    });

    test("completion sessions do not use the draft; agent sessions do", async () => {
        const before = speculative.draftStats.validated;
        const options: GenerateOptions = { maxTokens: 20, grammar: gbnf('root ::= "return a + b"') };
        const c = await speculative.openSession("completion").generate(PROMPT, options);
        assert.equal(c.text, "return a + b");
        assert.equal(speculative.draftStats.validated, before);
        const a = await speculative.openSession("agent").generate(PROMPT, options);
        assert.equal(a.text, "return a + b");
        assert.ok(speculative.draftStats.validated > before);
    });

    test("a draft attached after a chat sequence exists replaces it and is used", async () => {
        const main = await load("tiny");
        try {
            const options: GenerateOptions = { maxTokens: 20, grammar: gbnf('root ::= "hello world"') };
            assert.equal((await main.openSession("chat").generate(PROMPT, options)).text, "hello world");
            main.attachDraft(await load("tiny-f16"), DRAFT);
            assert.equal((await main.openSession("chat").generate(PROMPT, options)).text, "hello world");
            assert.ok(main.draftStats.validated > 0);
        } finally {
            await main.dispose();
        }
    });

    test("two models that always agree: every draft token is accepted; new draft options take effect at the next generation", async () => {
        const main = await load("tiny-agree");
        try {
            main.attachDraft(await load("tiny-agree"), { verifier: "node-llama-cpp", minTokens: 1, maxTokens: 1 });
            const chat = main.openSession("chat");
            const first = await chat.generate(PROMPT, { maxTokens: 24 });
            assert.equal(first.text, "a".repeat(24));
            const s1 = main.draftStats;
            assert.ok(s1.validated >= 8, `validated ${s1.validated}`);
            assert.equal(s1.refuted, 0);
            // node-llama-cpp 3.21.1 validates at most one drafted token per step: with 4 drafted, 3 are "refuted"
            main.setDraftOptions({ verifier: "node-llama-cpp", minTokens: 4, maxTokens: 4 });
            const second = await chat.generate(PROMPT, { maxTokens: 24 });
            assert.equal(second.text, "a".repeat(24));
            const s2 = main.draftStats;
            assert.ok(s2.validated > s1.validated);
            assert.ok(s2.refuted > 0, "a 4-token draft is partly refuted (node-llama-cpp validates one per step)");
        } finally {
            await main.dispose();
        }
    });

    test("a draft model with a different tokenizer is refused with a clear message; the main model keeps working", async () => {
        const main = await load("tiny");
        const other = await load("tiny-codegeex");
        try {
            assert.throws(() => main.attachDraft(other), (e: unknown) => {
                assert.ok(e instanceof ResponseError);
                assert.equal((e.data as { kind?: string }).kind, "BadModel");
                assert.match(e.message, /vocabulary sizes differ \(\d+ tokens vs \d+\)/);
                assert.match(e.message, /must share the main model's tokenizer/);
                return true;
            });
            assert.equal(main.draftName, undefined);
            const r = await main.openSession("chat").generate(PROMPT, { maxTokens: 10, grammar: gbnf('root ::= "ok"') });
            assert.equal(r.text, "ok");
        } finally {
            await other.dispose();
            await main.dispose();
        }
    });
});

describe("draft model (speculative decoding), batch verifier", () => {
    const CHAT = [special("[gMASK]<sop><|user|>"), text("\nwrite a function"), special("<|assistant|>"), text("\n")];

    test("greedy output is identical with and without the draft; the draft's tokens are checked and counted", async () => {
        const plain = await load("tiny");
        const main = await load("tiny");
        try {
            main.attachDraft(await load("tiny-f16"), { maxTokens: 4, minConfidence: 0 });
            const expected = await plain.openSession("chat").generate(CHAT, { maxTokens: 48 });
            const got = await main.openSession("chat").generate(CHAT, { maxTokens: 48 });
            assert.equal(got.stats.generatedTokens, expected.stats.generatedTokens);
            assert.equal(got.text, expected.text);
            const { validated, refuted } = main.draftStats;
            assert.ok(validated + refuted >= 12, `validated ${validated}, refuted ${refuted}`);
            assert.ok(validated > 0, "f16 and f32 of the same weights agree on some greedy tokens");
            // a second turn reuses the main model's KV cache (the rejected draft tokens were erased)
            const turn2 = [...CHAT, text(got.text), special("<|user|>"), text("\nmore"), special("<|assistant|>"), text("\n")];
            const again = await main.openSession("chat").generate(turn2, { maxTokens: 24 });
            const againPlain = await plain.openSession("chat").generate(turn2, { maxTokens: 24 });
            assert.equal(again.text, againPlain.text);
            assert.ok(again.stats.reusedPromptTokens >= got.stats.promptTokens, `reused ${again.stats.reusedPromptTokens}`);
        } finally {
            await plain.dispose();
            await main.dispose();
        }
    });

    test("a pair that always agrees: every drafted token is accepted, maxTokens + 1 tokens per main-model batch, exact token limit", async () => {
        const main = await load("tiny-agree");
        try {
            main.attachDraft(await load("tiny-agree"), { maxTokens: 4 });
            const r = await main.openSession("chat").generate(CHAT, { maxTokens: 50 });
            assert.equal(r.text, "a".repeat(50));
            assert.equal(r.stats.generatedTokens, 50);
            const { validated, refuted } = main.draftStats;
            assert.equal(refuted, 0);
            assert.equal(validated, 40, "10 rounds of 4 drafted + 1 sampled");
            // a stop string inside an accepted run ends the text there
            const s = await main.openSession("chat").generate(CHAT, { maxTokens: 50, stop: ["aaaaaaa"] });
            assert.equal(s.text, "");
            assert.equal(s.stopReason, "stop");
        } finally {
            await main.dispose();
        }
    });

    test("a draft that is always wrong backs off (1, 2, 4 .. rounds without drafting) and changes nothing in the output", async () => {
        const plain = await load("tiny");
        const main = await load("tiny");
        try {
            main.attachDraft(await load("tiny-agree"), { maxTokens: 4 }); // always "a", confidently
            const expected = await plain.openSession("chat").generate(CHAT, { maxTokens: 60 });
            const got = await main.openSession("chat").generate(CHAT, { maxTokens: 60 });
            assert.equal(got.text, expected.text);
            assert.ok(!expected.text.includes("a"), "the random main model never picks 'a' here");
            const { validated, refuted } = main.draftStats;
            assert.equal(validated, 0);
            // drafting rounds at 1, 3, 6, 11, 20, 37 (then every 17th): 6-7 rounds of 4, not 60 rounds
            assert.ok(refuted > 0 && refuted <= 7 * 4, `refuted ${refuted}`);
        } finally {
            await plain.dispose();
            await main.dispose();
        }
    });

    test("grammar-constrained generations decode plainly (no drafting); the draft's load-time failure path is not hit", async () => {
        const main = await load("tiny");
        try {
            main.attachDraft(await load("tiny-f16"), { maxTokens: 4, minConfidence: 0 });
            const r = await main.openSession("agent").generate(PROMPT, { maxTokens: 20, grammar: gbnf('root ::= "return a + b"') });
            assert.equal(r.text, "return a + b");
            assert.deepEqual(main.draftStats, { validated: 0, refuted: 0 });
            assert.equal(main.draftProblem, undefined);
        } finally {
            await main.dispose();
        }
    });

    test("an abort during speculative generation resolves with what was generated", async () => {
        const main = await load("tiny-agree");
        try {
            main.attachDraft(await load("tiny-agree"), { maxTokens: 4 });
            const controller = new AbortController();
            let seen = 0;
            const r = await main.openSession("chat").generate(CHAT, {
                maxTokens: 400, signal: controller.signal,
                onText: (d) => { seen += d.length; if (seen >= 12) controller.abort(); },
            });
            assert.equal(r.stopReason, "abort");
            assert.ok(r.stats.generatedTokens >= 12 && r.stats.generatedTokens < 400, `${r.stats.generatedTokens}`);
            assert.match(r.text, /^a+$/);
        } finally {
            await main.dispose();
        }
    });
});
