/** The first-run chooser and the requirements table on described machines (pure; no GPU needed). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseModel, fitModel, type MachineInfo } from "../../server/planner/chooser";
import { requirementsTable, DEFAULT_CONTEXTS } from "../../server/planner/table";
import { renderTable } from "../../server/planner/render";
import { GiB } from "../../server/planner/calculator";
import { calibrate } from "../../server/planner/speed";
import { catalogVariant, GLM4_32B } from "../../server/planner/catalog";
import { estimateSpeed } from "../../server/planner/speed";
import { estimate } from "../../server/planner/calculator";

const machine = (name: string | undefined, vramGiB: number, free = vramGiB - 0.7): MachineInfo => ({
    gpuType: name ? "cuda" : false, gpuNames: name ? [name] : [], vramTotal: vramGiB * GiB, vramFree: name ? free * GiB : 0,
    unifiedMemory: 0, ramTotal: 64 * GiB, ramFree: 48 * GiB, cpuCores: 16,
});
const oneSentence = (s: string): void => {
    assert.match(s, /\.$/);
    assert.equal(s.split(/\.\s+[A-Z]/).length, 1, `more than one sentence: ${s}`);
};

test("24 GB GPU: GLM-4-32B Q4_K_M at the native 32K, every layer on the GPU", () => {
    const c = chooseModel(machine("NVIDIA GeForce RTX 4090", 24));
    assert.equal(c.uri, "hf:bartowski/THUDM_GLM-4-32B-0414-GGUF:Q4_K_M");
    assert.equal(c.contextSize, 32768);
    assert.equal(c.gpuLayers, 62);
    assert.ok(c.estimate.vram.total <= 23.3 * GiB - c.headroom);
    assert.match(c.explanation, /RTX 4090/);
    oneSentence(c.explanation);
});

test("a busy 24 GB GPU steps the context down before the quantization", () => {
    const c = chooseModel(machine("NVIDIA GeForce RTX 3090", 24, 21));
    assert.equal(c.quant, "Q4_K_M");
    assert.ok(c.contextSize < 32768);
});

test("12 GB GPU: GLM-4-9B fully on the GPU, a partial 32B offload as the alternative with its speed", () => {
    const c = chooseModel(machine("NVIDIA GeForce RTX 3060", 12));
    assert.equal(c.modelId, "glm-4-9b-0414");
    assert.equal(c.fullOffload, true);
    assert.ok(c.alternative);
    assert.equal(c.alternative.modelId, "glm-4-32b-0414");
    assert.ok(c.alternative.gpuLayers > 0 && c.alternative.gpuLayers < 62);
    assert.ok(c.alternative.speed.decodeTokS < c.speed.decodeTokS);
    assert.match(c.explanation, /tokens\/s/);
    oneSentence(c.explanation);
});

test("no GPU: GLM-4-9B on the CPU with expected speed; the 32B is slower", () => {
    const c = chooseModel(machine(undefined, 0));
    assert.equal(c.modelId, "glm-4-9b-0414");
    assert.equal(c.gpuLayers, 0);
    assert.equal(c.estimate.vram.total, 0);
    assert.ok(c.alternative && c.alternative.speed.decodeTokS < c.speed.decodeTokS);
    assert.match(c.explanation, /^No GPU was found/);
    oneSentence(c.explanation);
});

test("80 GB GPU: the 32B plus GLM-4-9B as the second completion / draft model", () => {
    const c = chooseModel(machine("NVIDIA H100 80GB HBM3", 79.6));
    assert.equal(c.modelId, "glm-4-32b-0414");
    assert.equal(c.completionModel?.modelId, "glm-4-9b-0414");
});

test("speed model reproduces the H100 measurements it is calibrated on", () => {
    const cal = calibrate();
    assert.ok(cal.efficiency > 0.3 && cal.efficiency <= 1);
    const v = catalogVariant(GLM4_32B, "Q4_K_M");
    const sp = estimateSpeed(GLM4_32B, v.shape, estimate({ shape: v.shape, contextSize: 4096 }), { label: "H100", bandwidthGBs: 3350, fp16Tflops: 989 });
    assert.ok(Math.abs(sp.decodeTokS - 72.4) < 0.5, `${sp.decodeTokS}`); // H100 2026-11-26
    assert.ok(Math.abs(sp.promptTokS - 2430) < 1);
    assert.match(sp.how, /3350 GB\/s/);
});

test("fitModel: the largest native context that fits, else a partial offload", () => {
    const s = catalogVariant(GLM4_32B, "Q4_K_M").shape;
    const big = fitModel(s, machine("RTX 4090", 24));
    assert.equal(big.contextSize, 32768);
    assert.equal(big.gpuLayers, 62);
    const small = fitModel(s, machine("RTX 3060", 12));
    assert.ok(small.gpuLayers > 0 && small.gpuLayers < 62);
    assert.equal(small.contextSize, 8192);
    const cpu = fitModel(s, machine(undefined, 0));
    assert.equal(cpu.gpuLayers, 0);
    const pinned = fitModel(s, machine("RTX 4090", 24), { contextSize: 4096 });
    assert.equal(pinned.contextSize, 4096);
});

test("requirements table: quantization x context, the recommended row, GPU classes, terminal rendering", () => {
    const t = requirementsTable(machine("NVIDIA GeForce RTX 4090", 24));
    assert.deepEqual(t.contexts, DEFAULT_CONTEXTS);
    assert.equal(t.rows.length, 22);
    const rec = t.rows.filter((r) => r.recommended);
    assert.equal(rec.length, 1);
    assert.equal(rec[0]!.quant, "Q4_K_M");
    assert.equal(t.recommended?.contextSize, 32768);
    const cell32 = rec[0]!.cells[t.contexts.indexOf(32768)]!;
    assert.equal(cell32.fitsDetected, true);
    assert.deepEqual(cell32.fitsClasses, [false, false, false, true, true, true]);
    const cell128 = rec[0]!.cells[t.contexts.indexOf(131072)]!;
    assert.equal(cell128.yarnFactor, 4);
    assert.equal(cell128.fitsDetected, false);
    const text = renderTable(t);
    assert.match(text, /> GLM-4-32B-0414 +Q4_K_M/);
    assert.match(text, /128K\*/);
    assert.match(text, /Recommended: GLM-4-32B-0414 Q4_K_M/);
    assert.ok(!text.includes("\x1b["));
    assert.ok(renderTable(t, { color: true }).includes("\x1b[32m"));
    assert.throws(() => requirementsTable(machine(undefined, 0), { contexts: [512] }), RangeError);
});
