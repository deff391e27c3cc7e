/**
 * The host's optional models on the real engine: `tiny` as the main model, `tiny-f16` (same tokenizer) as the
 * completion model and as the draft model; `tiny-codegeex` (another vocabulary) as a refused draft; a missing
 * completion model file falls back to the main model.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
import { fixtureModelPath, testThreads } from "../support/models";
import { startLspPair } from "./lspPair";
import { createModelHost, type ModelHostOptions } from "../../server/model/modelHost";
import { MutableSettingsStore } from "../../server/settings";
import { memoryLogger } from "../../server/logger";
import { DEFAULT_SETTINGS, type Glm4Settings } from "../../server/protocol/settings";
import type { ModelStatus } from "../../server/protocol/status";
import type { ModelProvider } from "../../server/model/modelProvider";
import { special, text, type GenerateOptions } from "../../server/model/languageModel";

const PROMPT = [special("[gMASK]<sop><|user|>\n"), text("hi"), special("<|assistant|>\n")];
const grammar = (t: string): GenerateOptions["grammar"] => ({ kind: "gbnf", text: `root ::= ${JSON.stringify(t)}` });

async function setup(overrides: Partial<Glm4Settings>, options: ModelHostOptions = {}) {
    const pair = await startLspPair();
    const settings = new MutableSettingsStore({
        ...DEFAULT_SETTINGS, model: fixtureModelPath("tiny"), threads: testThreads(), gpuLayers: 0, contextSize: 512, ...overrides,
    });
    const log = memoryLogger();
    const host = createModelHost({ connection: pair.server, settings, log, storagePath: path.join(os.tmpdir(), "glm4-host-test") }, options);
    return { pair, settings, log, host, async dispose() { await host.dispose(); pair.dispose(); } };
}

/** Resolves with the first status (current or pushed) that satisfies `pred`. */
function statusWhere(host: ModelProvider, pred: (s: ModelStatus) => boolean): Promise<ModelStatus> {
    if (pred(host.status)) return Promise.resolve(host.status);
    return new Promise((resolve) => {
        const sub = host.onDidChangeStatus((s) => { if (pred(s)) { sub.dispose(); resolve(s); } });
    });
}

describe("secondary models", () => {
    test("glm4.completionModel: loaded after the main model; acquire('completion') returns it, chat keeps the main model", async () => {
        const t = await setup({ completionModel: fixtureModelPath("tiny-f16") });
        try {
            assert.equal((await t.host.reload()).state, "ready");
            const status = await statusWhere(t.host, (s) => /: ready/.test(s.completionModel ?? ""));
            assert.match(status.completionModel!, /^tiny-f16|glm4-tiny-random: ready, CPU/);
            const completion = await t.host.acquire("completion");
            const chat = await t.host.acquire("chat");
            assert.notEqual(completion, chat);
            assert.equal(await t.host.acquire("completion"), completion);
            const r = await completion.openSession("completion").generate(PROMPT, { maxTokens: 30, grammar: grammar("return a + b;") });
            assert.equal(r.text, "return a + b;");
            assert.ok(t.log.lines.some((l) => l.startsWith("info Completion model ready:")), t.log.lines.join("\n"));
            // Clearing the setting goes back to the main model.
            t.settings.set({ ...t.settings.get(), completionModel: "" });
            await statusWhere(t.host, (s) => s.completionModel === undefined);
            assert.equal(await t.host.acquire("completion"), chat);
        } finally {
            await t.dispose();
        }
    });

    test("a missing completion model file falls back to the main model with a logged warning", async () => {
        const t = await setup({ completionModel: "/nonexistent/glm4/GLM-4-9B-0414-Q4_K_M.gguf" });
        try {
            assert.equal((await t.host.reload()).state, "ready");
            const completion = await t.host.acquire("completion");
            assert.equal(completion, await t.host.acquire("chat"));
            const status = t.host.status;
            assert.equal(status.state, "ready");
            assert.match(status.completionModel!, /not used .*the main model is used instead/);
            assert.ok(t.log.lines.some((l) => l.startsWith("warn Completion model:") && l.includes("Inline completion uses the main model.")),
                t.log.lines.join("\n"));
            const r = await completion.openSession("completion").generate(PROMPT, { maxTokens: 10, grammar: grammar("ok") });
            assert.equal(r.text, "ok");
        } finally {
            await t.dispose();
        }
    });

    test("glm4.draftModel: attached after the main model; chat uses speculative decoding and reports accepted tokens", async () => {
        // tiny-f16 is tiny's weights in f16: as a draft it agrees with tiny on most greedy tokens
        const t = await setup({ draftModel: fixtureModelPath("tiny-f16") }, { draft: { maxTokens: 4, minConfidence: 0 } });
        try {
            assert.equal((await t.host.reload()).state, "ready");
            await statusWhere(t.host, (s) => /speculative decoding/.test(s.draftModel ?? ""));
            const model = await t.host.acquire("chat");
            const r = await model.openSession("chat").generate(PROMPT, { maxTokens: 30 });
            assert.ok(r.stats.generatedTokens > 0);
            const accepted = Number(/(\d+) draft tokens accepted/.exec(t.host.status.draftModel!)?.[1]);
            assert.ok(accepted > 0, t.host.status.draftModel);
            assert.ok(t.log.lines.some((l) => l.startsWith("info Draft model ready:")), t.log.lines.join("\n"));
        } finally {
            await t.dispose();
        }
    });

    test("a draft model with another tokenizer is refused with a clear message while the main model stays ready", async () => {
        const t = await setup({ draftModel: fixtureModelPath("tiny-codegeex") });
        try {
            assert.equal((await t.host.reload()).state, "ready");
            const status = await statusWhere(t.host, (s) => /not used/.test(s.draftModel ?? ""));
            assert.equal(status.state, "ready");
            assert.match(status.draftModel!, /vocabulary sizes differ .*must share the main model's tokenizer/);
            assert.ok(t.log.lines.some((l) => l.startsWith("warn Draft model:") && l.includes("vocabulary sizes differ")), t.log.lines.join("\n"));
            const r = await (await t.host.acquire("chat")).openSession("chat").generate(PROMPT, { maxTokens: 10, grammar: grammar("ok") });
            assert.equal(r.text, "ok");
        } finally {
            await t.dispose();
        }
    });
});
