/**
 * CompletionEngine logic that needs no real model: budgets, failures, short-circuits. A scripted
 * LanguageModel stands in here only; test/server/completion.test.ts runs the same engine on the real tiny model.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CompletionEngine } from "../../server/completion/engine";
import { MutableSettingsStore } from "../../server/settings";
import { memoryLogger } from "../../server/logger";
import { DEFAULT_SETTINGS, type Glm4Settings } from "../../server/protocol/settings";
import { glm4Error } from "../../server/protocol/errors";
import type { GenerateOptions, LanguageModel, ModelSession, Prompt } from "../../server/model/languageModel";
import type { ModelProvider } from "../../server/model/modelProvider";

interface Script {
    reply?: string;
    throws?: Error;
}

function scriptedModel(contextSize: number, script: Script) {
    const calls: { prompt: Prompt; options: GenerateOptions }[] = [];
    const session: ModelSession = {
        kind: "completion", cachedTokens: 0,
        async generate(prompt, options) {
            calls.push({ prompt, options });
            if (script.throws) throw script.throws;
            const text = script.reply ?? "";
            return { text, stopReason: "eog", stats: { promptTokens: 1, reusedPromptTokens: 0, evaluatedPromptTokens: 1, generatedTokens: 3, timeToFirstTokenMs: 1, totalMs: 2 } };
        },
        async reset() {},
        dispose() {},
    };
    const model: LanguageModel = {
        info: { name: "scripted", architecture: "glm4", contextSize, trainContextSize: contextSize, specialTokens: [], device: "none", engine: "local" },
        countTokens: (t) => t.length, // one token per character: a dense text
        openSession: () => session,
        dispose: async () => {},
    };
    return { model, calls };
}

function provider(acquire: () => Promise<LanguageModel>): ModelProvider & { acquired: number } {
    const p = {
        acquired: 0,
        acquire: () => { p.acquired++; return acquire(); },
        status: { state: "ready" as const },
        onDidChangeStatus: () => ({ dispose() {} }),
        reload: async () => ({ state: "ready" as const }),
        dispose: async () => {},
    };
    return p;
}

function settings(completion: Partial<Glm4Settings["completion"]> = {}) {
    return new MutableSettingsStore({ ...DEFAULT_SETTINGS, completion: { ...DEFAULT_SETTINGS.completion, ...completion } });
}

const input = (text: string, offset = text.length, uri = "file:///w/a.ts") =>
    ({ uri, languageId: "typescript", text, offset, signal: new AbortController().signal, receivedAt: Date.now() });

test("a dense document gets a window that fits the context, with room for the reply", async () => {
    const { model, calls } = scriptedModel(1024, { reply: "x();" });
    const engine = new CompletionEngine({ models: provider(async () => model), settings: settings({ maxTokens: 100, crossFileTokens: 0 }), log: memoryLogger() });
    const text = "const value = compute(index);\n".repeat(5000);
    const out = await engine.complete(input(text, text.length / 2));
    assert.equal(out.kind, "items");
    const tokens = calls[0]!.prompt.reduce((n, p) => n + model.countTokens(p.text), 0);
    assert.ok(tokens + 100 <= 1024, `prompt of ${tokens} tokens + 100 for the reply in a 1024-token context`);
});

test("no model: none, and the same failure is logged once", async () => {
    const log = memoryLogger();
    const engine = new CompletionEngine({ models: provider(async () => { throw glm4Error("ModelNotLoaded", "No model is loaded."); }), settings: settings(), log });
    for (let i = 0; i < 3; i++) {
        const out = await engine.complete(input("let a = "));
        assert.equal(out.kind, "none");
    }
    assert.equal(log.lines.filter((l) => l.includes("no model")).length, 1, log.lines.join("\n"));
});

test("a failing generation gives none and a warning, never an exception", async () => {
    const log = memoryLogger();
    const { model } = scriptedModel(2048, { throws: glm4Error("ContextOverflow", "too long") });
    const engine = new CompletionEngine({ models: provider(async () => model), settings: settings(), log });
    const out = await engine.complete(input("let a = "));
    assert.deepEqual(out.kind, "none");
    assert.ok(log.lines.some((l) => l.startsWith("warn") && l.includes("too long")));
});

test("disabled completion, a disabled language or a tiny context never generate", async () => {
    const { model, calls } = scriptedModel(2048, { reply: "1;" });
    const models = provider(async () => model);
    const off = new CompletionEngine({ models, settings: settings({ enabled: false }), log: memoryLogger() });
    assert.equal((await off.complete(input("let a = "))).kind, "none");
    const md = new CompletionEngine({ models, settings: settings(), log: memoryLogger() });
    assert.equal((await md.complete({ ...input("# T"), languageId: "markdown" })).kind, "none");
    assert.equal(models.acquired, 0);
    const small = new CompletionEngine({ models: provider(async () => scriptedModel(300, {}).model), settings: settings(), log: memoryLogger() });
    const out = await small.complete(input("let a = "));
    assert.ok(out.kind === "none" && /too small/.test(out.reason));
    assert.equal(calls.length, 0);
});

test("a cache hit answers without acquiring the model", async () => {
    const { model } = scriptedModel(2048, { reply: "compute(1);" });
    const models = provider(async () => model);
    const engine = new CompletionEngine({ models, settings: settings(), log: memoryLogger() });
    const first = await engine.complete(input("let a = \n", 8));
    assert.ok(first.kind === "items" && first.text === "compute(1);");
    const hit = await engine.complete(input("let a = comp\n", 12));
    assert.ok(hit.kind === "items" && hit.text === "ute(1);" && hit.metrics.cached);
    assert.equal(models.acquired, 1);
});
