/**
 * What the product says about GLM-4-9B beside GLM-4-32B against what the H100 measured
 * (bench/gpu/results/h100-2026-11-26-second-model-{1,2}.json, written by bench/secondModel.ts through
 * bench/gpu/device.sh with GLM4_GPU_TASK=second; random-weight models of the exact shapes). Pure: reads the
 * recorded runs. Keeps the catalog's 9B speed anchor, the default draft length and the claims in package.json's
 * setting descriptions and the Choose Model pick in step with the numbers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { GLM4_9B } from "../../server/planner/catalog";
import { BATCH_DRAFT_MAX_TOKENS } from "../../server/model/llama/draft";

const RESULTS = path.resolve(__dirname, "..", "..", "bench", "gpu", "results");
interface Row { metric: string; value: number; note?: string }
interface Run { status: string; rows: Row[]; deviceScript: { gpu: string } }
const runs = [1, 2].map((i) => JSON.parse(fs.readFileSync(path.join(RESULTS, `h100-2026-11-26-second-model-${i}.json`), "utf8")) as Run);
const latest = runs[1]!;
const value = (run: Run, metric: string | RegExp): number => {
    const row = run.rows.find((r) => (typeof metric === "string" ? r.metric === metric : metric.test(r.metric)));
    assert.ok(row, `no row ${metric}`);
    return row.value;
};
const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "package.json"), "utf8")) as {
    contributes: { configuration: { properties: Record<string, { markdownDescription: string }> } };
};
const describe = (key: string): string => pkg.contributes.configuration.properties[key]!.markdownDescription;

test("both runs are complete H100 runs", () => {
    for (const r of runs) {
        assert.equal(r.status, "complete");
        assert.match(r.deviceScript.gpu, /H100/);
    }
});

test("the catalog's GLM-4-9B speed anchor is the measured one", () => {
    for (const r of runs) {
        const decode = value(r, /^chat decode: 9B alone/);
        assert.ok(Math.abs(decode - GLM4_9B.measured.decodeTokS) / decode < 0.02, `decode ${decode} vs ${GLM4_9B.measured.decodeTokS}`);
        const prompt = value(r, "prompt: 9B");
        assert.ok(Math.abs(prompt - GLM4_9B.measured.promptTokS) / prompt < 0.05, `prompt ${prompt} vs ${GLM4_9B.measured.promptTokS}`);
    }
});

test("glm4.completionModel: GLM-4-9B is about 2x faster per keystroke and ~2.8x on a cold prompt, as the setting says", () => {
    for (const r of runs) {
        const perKeystroke = value(r, "completion per keystroke: 32B / 9B");
        const cold = value(r, "completion, cold: 32B / 9B");
        assert.ok(perKeystroke > 1.8 && perKeystroke < 2.2, `per keystroke ${perKeystroke}`);
        assert.ok(cold > 2.6 && cold < 3.0, `cold ${cold}`);
    }
    assert.match(describe("glm4.completionModel"), /about half the time/);
    assert.match(describe("glm4.completionModel"), /2\.8x faster/);
    const extraGiB = value(latest, /^GPU memory: \+ 9B completion model/);
    assert.ok(Math.round(extraGiB) === 6, `${extraGiB} GiB`);
});

test("glm4.draftModel: the default draft length is the fastest measured one; the setting states the ceiling and the floor", () => {
    const ceiling = (name: string): number => value(latest, new RegExp(`^speculative speed-up, draft always right, ${name} `));
    const byLength = { 2: ceiling("batch-2"), 4: ceiling("product"), 8: ceiling("batch-8") };
    const best = Number(Object.entries(byLength).sort((a, b) => b[1] - a[1])[0]![0]);
    assert.equal(BATCH_DRAFT_MAX_TOKENS, best, JSON.stringify(byLength));
    assert.ok(byLength[8] > 1.4 && byLength[8] < 1.6, `ceiling ${byLength[8]}`);
    const floor = value(latest, /^speculative speed-up, free \(random weights: the floor\)/);
    assert.ok(floor > 0.8 && floor < 0.9, `floor ${floor}`);
    assert.match(describe("glm4.draftModel"), /1\.5x faster when every drafted token was right, and about 0\.85x when none was/);
    // node-llama-cpp's own predictor (run 1) never beat decoding without a draft, even with an always-right draft
    for (const r of runs[0]!.rows.filter((x) => /node-llama-cpp predictor/.test(x.metric))) assert.ok(r.value < 1, `${r.metric}: ${r.value}`);
});
