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

async function setup(options: { fixture?: FixtureName; feature?: InlineCompletionFeatureOptions; settings?: SettingsInput } = {}): Promise<Setup> {
    const feature = new InlineCompletionFeature({ grammar: RETURN, ...options.feature });
    const h = await LspHarness.start({
        settings: { model: fixtureModelPath(options.fixture ?? "tiny"), threads: testThreads(), gpuLayers: 0, contextSize: 2048, completion: { timeoutMs: 600_000 }, ...options.settings },
        server: { features: () => [feature] },
    });
    const traces: CompletionTrace[] = [];
    feature.engine.onTrace((t) => traces.push(t));
    const status = await h.waitForModel();
    assert.equal(status.state, "ready", status.error);
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

    test(`${format}: a keystroke re-evaluates only a few prompt tokens (KV prefix reuse)`, async () => {
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
            assert.equal(m2.cached, false);
            assert.ok(m2.reusedPromptTokens > 0, JSON.stringify(m2));
            assert.ok(m2.evaluatedPromptTokens <= 8, `a keystroke evaluated ${m2.evaluatedPromptTokens} prompt tokens (first request: ${m1.evaluatedPromptTokens}); ${JSON.stringify(m2)}`);
            assert.ok(m1.evaluatedPromptTokens > 50 * m2.evaluatedPromptTokens / 8);
        } finally {
            await h.dispose();
        }
    });
}
