/**
 * Inline completion end to end: a real server over an in-memory LSP connection, the real tiny GLM-4 model and
 * the real engine. Output is forced with a GBNF grammar (the feature's `grammar` option), so the exact text goes
 * through the real tokenizer, sampler, streaming, stop handling and post-processing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LSPErrorCodes, ResponseError, type InlineCompletionItem, type InlineCompletionList } from "vscode-languageserver-protocol";
import { fixtureModelPath, testThreads, type FixtureName } from "../support/models";
import { LspHarness, positionOf, type SettingsInput } from "../support/lspHarness";
import { InlineCompletionFeature, type InlineCompletionFeatureOptions } from "../../server/completion/feature";
import type { CompletionTrace } from "../../server/completion/engine";
import { CompletionMetricsNotification, type CompletionMetrics } from "../../server/protocol/completion";

const ADD = "export function add(a: number, b: number): number {\n  \n}\n";
const RETURN = { kind: "gbnf", text: 'root ::= "return a + b;"' } as const;

interface Setup {
    h: LspHarness;
    feature: InlineCompletionFeature;
    traces: CompletionTrace[];
}

async function setup(options: { fixture?: FixtureName; feature?: InlineCompletionFeatureOptions; settings?: SettingsInput; ready?: boolean } = {}): Promise<Setup> {
    const feature = new InlineCompletionFeature({ grammar: RETURN, ...options.feature });
    const h = await LspHarness.start({
        settings: {
            model: fixtureModelPath(options.fixture ?? "tiny"), threads: testThreads(), gpuLayers: 0, contextSize: 2048, ...options.settings,
            // No deadline in tests (speed goes to `npm run bench`): generation ends by grammar, rules or maxTokens.
            completion: { timeoutMs: 600_000, ...(options.settings?.completion as object | undefined) },
        },
        server: { features: () => [feature] },
    });
    const traces: CompletionTrace[] = [];
    feature.engine.onTrace((t) => traces.push(t));
    if (options.ready !== false) {
        const status = await h.waitForModel();
        assert.equal(status.state, "ready", status.error);
    }
    return { h, feature, traces };
}

const items = (r: InlineCompletionList | InlineCompletionItem[] | null): InlineCompletionItem[] => (r === null ? [] : Array.isArray(r) ? r : r.items);
const generations = (traces: CompletionTrace[]) => traces.filter((t) => t.type === "generation-end") as Extract<CompletionTrace, { type: "generation-end" }>[];

test("initialize declares inlineCompletionProvider", async () => {
    const { h } = await setup();
    try {
        assert.equal(h.initializeResult.capabilities.inlineCompletionProvider, true);
    } finally {
        await h.dispose();
    }
});

for (const fixture of ["tiny", "tiny-codegeex"] as const) {
    const format = fixture === "tiny" ? "fill-in" : "codegeex";

    test(`${format}: returns the model's text at the cursor, with metrics`, async () => {
        const { h, traces } = await setup({ fixture });
        try {
            const doc = h.open("src/add.ts", ADD);
            const at = positionOf(doc, "{\n  ", { after: true });
            const metrics = h.waitFor(CompletionMetricsNotification.type);
            const got = items(await h.inlineCompletion(doc, at));
            assert.deepEqual(got, [{ insertText: "return a + b;", range: { start: at, end: at } }]);
            const start = traces.find((t) => t.type === "generation-start");
            assert.ok(start && start.type === "generation-start");
            assert.equal(start.format, format);
            assert.equal(start.mode, "block");
            const m: CompletionMetrics = await metrics;
            assert.equal(m.cached, false);
            assert.ok(m.generatedTokens > 0 && m.evaluatedPromptTokens > 0, JSON.stringify(m));
        } finally {
            await h.dispose();
        }
    });

    test(`${format}: a keystroke re-evaluates only a few prompt tokens (KV prefix reuse)`, async (t) => {
        const { h } = await setup({ fixture });
        try {
            const doc = h.open("src/add.ts", ADD);
            let at = positionOf(doc, "{\n  ", { after: true });
            const first = h.waitFor(CompletionMetricsNotification.type);
            assert.equal(items(await h.inlineCompletion(doc, at)).length, 1);
            const m1 = await first;
            at = h.type(doc, at, "x"); // not the start of the suggestion: the cache misses, the model runs
            const second = h.waitFor(CompletionMetricsNotification.type);
            assert.equal(items(await h.inlineCompletion(doc, at))[0]?.insertText, "return a + b;");
            const m2 = await second;
            t.diagnostic(`first request: ${m1.evaluatedPromptTokens} evaluated; after one keystroke: ${m2.evaluatedPromptTokens} evaluated, ${m2.reusedPromptTokens} reused`);
            assert.equal(m2.cached, false);
            assert.ok(m2.reusedPromptTokens > 0, JSON.stringify(m2));
            assert.ok(m2.evaluatedPromptTokens <= 8, `a keystroke evaluated ${m2.evaluatedPromptTokens} prompt tokens (first request: ${m1.evaluatedPromptTokens}); ${JSON.stringify(m2)}`);
            assert.ok(m1.evaluatedPromptTokens > 50 * m2.evaluatedPromptTokens / 8);
        } finally {
            await h.dispose();
        }
    });
}

test("typed-through: typing the start of a shown suggestion is served from the cache, without the model", async () => {
    const { h, feature, traces } = await setup();
    try {
        const doc = h.open("src/add.ts", ADD);
        let at = positionOf(doc, "{\n  ", { after: true });
        assert.equal(items(await h.inlineCompletion(doc, at))[0]?.insertText, "return a + b;");
        const generationsBefore = traces.filter((t) => t.type === "generation-start").length;
        at = h.type(doc, at, "ret");
        const metrics = h.waitFor(CompletionMetricsNotification.type);
        assert.deepEqual(items(await h.inlineCompletion(doc, at)), [{ insertText: "urn a + b;", range: { start: at, end: at } }]);
        const m = await metrics;
        assert.equal(m.cached, true);
        assert.equal(m.generatedTokens, 0);
        assert.equal(m.evaluatedPromptTokens, 0);
        assert.equal(traces.filter((t) => t.type === "generation-start").length, generationsBefore, "no new generation");
        assert.equal(feature.engine.cache.size, 1);
    } finally {
        await h.dispose();
    }
});

/** A grammar that never ends: generation runs until maxTokens unless something stops it. */
const FOREVER = { kind: "gbnf", text: 'root ::= "a" root' } as const;
const firstText = (feature: InlineCompletionFeature) =>
    new Promise<void>((resolve) => { const d = feature.engine.onTrace((t) => { if (t.type === "first-text") { d.dispose(); resolve(); } }); });

test("$/cancelRequest aborts the generation within a few tokens and answers RequestCancelled", async (t) => {
    const maxTokens = 1000;
    const { h, feature, traces } = await setup({ feature: { grammar: FOREVER }, settings: { completion: { maxTokens, crossFileTokens: 0 } } });
    try {
        const doc = h.open("src/add.ts", ADD);
        const started = firstText(feature);
        const pending = h.startInlineCompletion(doc, positionOf(doc, "{\n  ", { after: true }));
        await started;
        pending.cancel();
        await assert.rejects(pending.promise, (e: unknown) => e instanceof ResponseError && e.code === LSPErrorCodes.RequestCancelled);
        const [end] = generations(traces);
        assert.ok(end);
        assert.equal(end.result.stopReason, "abort");
        t.diagnostic(`generation stopped after ${end.result.stats.generatedTokens} tokens (max ${maxTokens})`);
        assert.ok(end.result.stats.generatedTokens < maxTokens / 5, `${end.result.stats.generatedTokens} tokens generated after the cancel`);
    } finally {
        await h.dispose();
    }
});

test("newest wins: a newer request for the document aborts the older one, which returns no items", async () => {
    // Same document and version: only the newer request can stop the older generation.
    const grammar = (input: { text: string; offset: number }) => (input.text.slice(0, input.offset).endsWith("slow() {\n  ") ? FOREVER : RETURN);
    const { h, feature, traces } = await setup({ feature: { grammar }, settings: { completion: { maxTokens: 1000, crossFileTokens: 0 } } });
    try {
        const doc = h.open("src/add.ts", `${ADD}export function slow() {\n  \n}\n`);
        const started = firstText(feature);
        const older = h.inlineCompletion(doc, positionOf(doc, "slow() {\n  ", { after: true }));
        await started;
        const at = positionOf(doc, "number {\n  ", { after: true });
        const newer = await h.inlineCompletion(doc, at);
        assert.deepEqual(items(await older), [], "the older request returns nothing");
        assert.deepEqual(items(newer), [{ insertText: "return a + b;", range: { start: at, end: at } }]);
        const ends = generations(traces);
        assert.equal(ends[0]?.result.stopReason, "abort");
        assert.ok(ends[0]!.result.stats.generatedTokens < 200, `${ends[0]!.result.stats.generatedTokens} tokens`);
    } finally {
        await h.dispose();
    }
});

test("a change to the document while it generates aborts the generation; no stale items", async () => {
    const maxTokens = 1000;
    const { h, feature, traces } = await setup({ feature: { grammar: FOREVER }, settings: { completion: { maxTokens, crossFileTokens: 0 } } });
    try {
        const doc = h.open("src/add.ts", ADD);
        const at = positionOf(doc, "{\n  ", { after: true });
        const started = firstText(feature);
        const pending = h.inlineCompletion(doc, at);
        await started;
        h.edit(doc, positionOf(doc, "export"), "// edited elsewhere\n");
        assert.deepEqual(items(await pending), []);
        const [end] = generations(traces);
        assert.equal(end?.result.stopReason, "abort");
        assert.ok(end!.result.stats.generatedTokens < maxTokens / 5, `${end!.result.stats.generatedTokens} tokens`);
    } finally {
        await h.dispose();
    }
});

test("cross-file context from another open document is in the prompt, within its token budget", async () => {
    const { h, traces } = await setup({ settings: { completion: { crossFileTokens: 256 } } });
    try {
        h.open("src/util.ts", "export const MAGIC_NUMBER = 42;\nexport function twice(x: number) { return 2 * x; }\n");
        const doc = h.open("src/add.ts", ADD);
        assert.equal(items(await h.inlineCompletion(doc, positionOf(doc, "{\n  ", { after: true })))[0]?.insertText, "return a + b;");
        const start = traces.find((t) => t.type === "generation-start");
        assert.ok(start?.type === "generation-start");
        const user = start.prompt.filter((p) => !p.special).map((p) => p.text).join("");
        assert.match(user, /workspace\/src\/util\.ts\n[`]{3}\nexport const MAGIC_NUMBER = 42;/);
        assert.ok(start.prompt.every((p) => !(p.special && p.text.includes("MAGIC"))));
    } finally {
        await h.dispose();
    }
});

test("a 20 MB document completes from a bounded window around the cursor", async () => {
    const { h, traces } = await setup();
    try {
        const filler = "const value = compute(index) + 1;\n".repeat(300_000);
        const doc = h.open("src/huge.ts", filler + ADD + filler);
        assert.ok(doc.text.length > 20_000_000);
        const at = positionOf(doc, "{\n  ", { after: true });
        assert.deepEqual(items(await h.inlineCompletion(doc, at)), [{ insertText: "return a + b;", range: { start: at, end: at } }]);
        const [end] = generations(traces);
        assert.ok(end && end.result.stats.promptTokens < 2048, `prompt of ${end?.result.stats.promptTokens} tokens`);
    } finally {
        await h.dispose();
    }
});

test("binary documents and disabled languages get no completion, and the model is not asked", async () => {
    const { h, traces } = await setup();
    try {
        const bin = h.open("assets/blob.ts", "PK\u0003\u0004\u0000\u0000\u0008\u0000 const \uFFFD\uFFFD x = ");
        assert.deepEqual(items(await h.inlineCompletion(bin, positionOf(bin, "x = ", { after: true }))), []);
        const md = h.open("README.md", "# Title\n\nSome text ", "markdown");
        assert.deepEqual(items(await h.inlineCompletion(md, positionOf(md, "text ", { after: true }))), []);
        assert.equal(traces.filter((t) => t.type === "generation-start").length, 0);
    } finally {
        await h.dispose();
    }
});

test("no model loaded: no items and a log line, never an error", async () => {
    const { h } = await setup({ settings: { model: "/nonexistent/glm4-missing.gguf" }, ready: false });
    try {
        const status = await h.waitForModel();
        assert.equal(status.state, "error");
        const doc = h.open("src/add.ts", ADD);
        assert.deepEqual(items(await h.inlineCompletion(doc, positionOf(doc, "{\n  ", { after: true }))), []);
        assert.ok(h.logs.some((l) => /inline completion: no model/.test(l)), h.logs.join("\n"));
        assert.equal(h.received(CompletionMetricsNotification.type).length, 0);
    } finally {
        await h.dispose();
    }
});
