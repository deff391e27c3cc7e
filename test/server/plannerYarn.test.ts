/**
 * Contexts beyond the native one: the local engine loads the model with the planner's YaRN x4 metadata
 * overrides (the factor as the float 4.000001, which llama.cpp accepts for the float key) and generates.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as os from "node:os";
import { localEngine } from "../../server/model/llama/localEngine";
import type { LlamaLanguageModel } from "../../server/model/llamaModel";
import { DEFAULT_SETTINGS } from "../../server/protocol/settings";
import { memoryLogger } from "../../server/logger";
import { special, text } from "../../server/model/languageModel";
import { fixtureModelPath, testThreads } from "../support/models";

async function load(contextSize: number) {
    const log = memoryLogger();
    const { model } = await localEngine({ gpu: false })({
        settings: { ...DEFAULT_SETTINGS, model: fixtureModelPath("tiny"), contextSize, gpuLayers: 0, threads: testThreads() },
        signal: new AbortController().signal, storagePath: os.tmpdir(), log, report: () => undefined,
    });
    return { model: model as LlamaLanguageModel, log };
}

test("a 16K context on the 4K-native tiny model loads with YaRN x4 and generates", async () => {
    const { model, log } = await load(16384);
    try {
        assert.equal(model.info.contextSize, 16384);
        assert.equal(model.info.trainContextSize, 4096);
        const scaling = (model.llamaModel.fileInfo.metadata as unknown as { glm4: { rope: { scaling?: { type?: string; factor?: number } } } }).glm4.rope.scaling;
        assert.equal(scaling?.type, "yarn");
        assert.ok(scaling?.factor !== undefined && Math.abs(scaling.factor - 4) < 1e-5 && !Number.isInteger(scaling.factor));
        assert.ok(log.lines.some((l) => /YaRN x4/.test(l)));
        const r = await model.openSession("chat").generate([special("[gMASK]<sop><|user|>"), text("\nhi"), special("<|assistant|>")], {
            maxTokens: 8, grammar: { kind: "gbnf", text: 'root ::= "scaled"' },
        });
        assert.equal(r.text, "scaled");
    } finally {
        await model.dispose();
    }
});

test("within the native context no RoPE scaling is set", async () => {
    const { model, log } = await load(2048);
    try {
        const rope = (model.llamaModel.fileInfo.metadata as unknown as { glm4: { rope: { scaling?: unknown } } }).glm4.rope;
        assert.equal(rope.scaling, undefined);
        assert.ok(!log.lines.some((l) => /YaRN/.test(l)));
    } finally {
        await model.dispose();
    }
});
