/**
 * The planner's calculator and speed model against a real GPU: GLM-4-32B-0414's exact shape (random weights,
 * the generator's Q4_K_M-like types: `glm4Tensors(GLM4_32B_SHAPE, 151552)`) loaded through node-llama-cpp 3.21.1
 * with CUDA and flash attention on an NVIDIA H100 80GB HBM3, 2026-11-26 (bench/gpu/results/h100-2026-11-26*.json).
 * Pure: reads the recorded measurement; prints the residual table.
 *
 * What is predicted and what is fitted:
 * - weights, KV cache and compute buffer are predicted from the tensor list and the graph (the compute buffer's
 *   GPU output phase, logits + 1 embd, was corrected after this run: its formula is checked here, not fitted);
 * - the runtime overhead constants (CUDA context 518 MiB, 74 MiB workspace, 22 MiB per context) come from this
 *   run, so the single-context process totals only check consistency; the two-context load of the model-layer
 *   check (another process) is the out-of-sample point;
 * - the speed model's H100 anchors (decode 72.4, prompt 2430 tok/s, the KV read efficiency) come from this run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { glm4Tensors, GLM4_32B_SHAPE } from "../support/gguf/glm4Model";
import { shapeFromTensors, type ModelShape } from "../../server/planner/shape";
import { estimate, GPU_CUDA_CONTEXT, MiB } from "../../server/planner/calculator";
import { estimateSpeed } from "../../server/planner/speed";
import { GLM4_32B } from "../../server/planner/catalog";
import type { KvCacheType } from "../../server/planner/ggml";

const RESULTS = path.resolve(__dirname, "..", "..", "bench", "gpu", "results");

interface VramPoint { phase: string; nvidiaSmi: { usedMiB: number; processMiB: number } }
interface MeasuredConfig {
    id: string; contextSize: number; kv: KvCacheType; yarn: number | null; batchSize: number; flashAttention: boolean;
    vramContextMiB: { nvidiaSmi: number; nodeLlamaCpp: number };
    vramAfterDecodeMiB: { nvidiaSmi: number };
    llamaLogContext: string[];
    prompt: { tokens: number; tokPerS: number; startIndex: number };
    decode: { tokPerS: number; steadyTokPerS: number; contextTokensAfter: number };
    deep?: { promptChunks: { tokens: number; tokPerS: number; startIndex: number }[]; decode: { steadyTokPerS: number; contextTokensAfter: number; tokens: number } };
}
interface Run {
    vramModelMiB: { nvidiaSmi: number };
    model: { llamaLog: string[]; gpuLayers: number; totalLayers: number };
    configs: MeasuredConfig[];
    vram: VramPoint[];
    deviceScript: { gpu: string };
}
interface ModelLayerRun {
    vramStart: { used: number };
    big: { contextSize: number; device: string; vramAfterChat: { used: number } };
}

const run = JSON.parse(fs.readFileSync(path.join(RESULTS, "h100-2026-11-26.json"), "utf8")) as Run;
const modelLayer = JSON.parse(fs.readFileSync(path.join(RESULTS, "h100-2026-11-26-model-layer.json"), "utf8")) as ModelLayerRun;

/** The generated file's shape: exactly the tensors the GPU run loaded (no header: only tensor bytes matter). */
const S = GLM4_32B_SHAPE;
const shape: ModelShape = shapeFromTensors(
    { name: S.name, architecture: "glm4", layers: S.layers, embedding: S.embedding, heads: S.heads, kvHeads: S.kvHeads, headDimK: S.headDim, headDimV: S.headDim, ffn: S.ffn, vocab: 151552, trainContext: S.contextLength, quant: "Q4_K_M" },
    glm4Tensors(S, 151552).map((t) => ({ name: t.name, dims: t.dims, type: t.type })),
    0,
);

/** A "... <label> size = 123.45 MiB" value from llama.cpp's log lines. */
function logMiB(lines: readonly string[], label: RegExp): number {
    for (const l of lines) {
        const m = new RegExp(label.source + String.raw`\s*=\s*([\d.]+) MiB`).exec(l);
        if (m) return Number(m[1]);
    }
    throw new Error(`no ${label} in the log`);
}

const mib = (b: number): number => b / MiB;
const f = (n: number, d = 2): string => n.toFixed(d);
const rows: string[][] = [];
const row = (what: string, measured: number, ours: number, unit: string, tolerance: string, d = 2): void => {
    const diff = ours - measured;
    rows.push([what, `${f(measured, d)} ${unit}`, `${f(ours, d)} ${unit}`, `${diff >= 0 ? "+" : ""}${f(diff, d)} (${f((diff / measured) * 100, 2)}%)`, tolerance]);
};

/** The driver's own memory, used by no process (nvidia-smi used - our process before the model). */
const before = run.vram.find((v) => v.phase === "before model load")!.nvidiaSmi;
const driverBase = before.usedMiB - before.processMiB;

test("the run is the H100, full offload, batch 512, flash attention (what the calculator's defaults assume)", () => {
    assert.match(run.deviceScript.gpu, /H100/);
    assert.equal(run.model.gpuLayers, shape.layers + 1);
    assert.equal(run.model.totalLayers, shape.layers + 1);
    for (const c of run.configs) {
        assert.equal(c.batchSize, 512, c.id);
        assert.equal(c.flashAttention, true, c.id);
    }
    assert.equal(run.configs.length, 5);
});

test("weights on the GPU: the tensor bytes of 61 layers + output head equal llama.cpp's CUDA0 model buffer", () => {
    const e = estimate({ shape, contextSize: 4096 });
    const logged = logMiB(run.model.llamaLog, /CUDA0 model buffer size/);
    const mapped = logMiB(run.model.llamaLog, /CPU_Mapped model buffer size/);
    row("weights on GPU vs llama.cpp log", logged, mib(e.vram.weights), "MiB", "0.01 MiB");
    row("weights on GPU vs nvidia-smi delta", run.vramModelMiB.nvidiaSmi, mib(e.vram.weights), "MiB", "2 MiB");
    row("token_embd in RAM vs CPU_Mapped", mapped, mib(e.ram.weights), "MiB", "0.01 MiB");
    // the log prints two decimals; nvidia-smi whole MiB (the CUDA allocator rounds to 2 MiB pages)
    assert.ok(Math.abs(mib(e.vram.weights) - logged) <= 0.01, `ours ${mib(e.vram.weights)} vs log ${logged}`);
    assert.ok(Math.abs(mib(e.vram.weights) - run.vramModelMiB.nvidiaSmi) <= 2);
    assert.ok(Math.abs(mib(e.ram.weights) - mapped) <= 0.01);
    assert.equal(e.outputOnGpu, true);
});

for (const c of run.configs) {
    test(`context ${c.id}: KV cache and compute buffer as llama.cpp allocated them, the context's VRAM as nvidia-smi saw it`, () => {
        const e = estimate({ shape, contextSize: c.contextSize, kvCacheType: c.kv });
        assert.equal(e.yarnFactor ?? null, c.yarn, "YaRN beyond the native 32K");
        const kvLog = logMiB(c.llamaLogContext, /CUDA0 KV buffer size/);
        const computeLog = logMiB(c.llamaLogContext, /CUDA0 compute buffer size/);
        const ctxOurs = mib(e.vram.kvCache + e.vram.compute);
        row(`${c.id} KV (${c.kv}) vs log`, kvLog, mib(e.vram.kvCache), "MiB", "0.1 MiB");
        row(`${c.id} compute vs log`, computeLog, mib(e.vram.compute), "MiB", "0.5 MiB");
        row(`${c.id} context vs nvidia-smi`, c.vramContextMiB.nvidiaSmi, ctxOurs, "MiB", "4 MiB");
        // q8_0: llama.cpp adds 0.04 MiB (the rotation tensors of a quantized cache) to 61 x 32768 x 512 x 34/32 B
        assert.ok(Math.abs(mib(e.vram.kvCache) - kvLog) <= 0.1, `KV ours ${mib(e.vram.kvCache)} vs ${kvLog}`);
        assert.ok(Math.abs(mib(e.vram.compute) - computeLog) <= 0.5, `compute ours ${mib(e.vram.compute)} vs ${computeLog}`);
        // nvidia-smi: whole MiB of 2 MiB allocator pages
        assert.ok(Math.abs(ctxOurs - c.vramContextMiB.nvidiaSmi) <= 4, `context ours ${ctxOurs} vs ${c.vramContextMiB.nvidiaSmi}`);

        // the whole process after decoding (its CUDA context, weights, runtime workspace, this context)
        const processMiB = c.vramAfterDecodeMiB.nvidiaSmi - driverBase;
        row(`${c.id} process total (fitted)`, processMiB, mib(e.vram.total), "MiB", "8 MiB");
        assert.ok(Math.abs(mib(e.vram.total) - processMiB) <= 8, `total ours ${mib(e.vram.total)} vs ${processMiB}`);
    });
}

test("two 32K contexts (the product's completion + chat contexts, model-layer check): the whole load", () => {
    const b = modelLayer.big;
    assert.match(b.device, /62\/62 layers/);
    const e = estimate({ shape, contextSize: b.contextSize, contexts: 2 });
    // vramStart already holds this process's CUDA context (and the driver's own memory)
    const measured = (b.vramAfterChat.used - modelLayer.vramStart.used) / MiB;
    const ours = mib(e.vram.total - GPU_CUDA_CONTEXT);
    row("2 x 32K contexts, load after CUDA init", measured, ours, "MiB", "32 MiB");
    assert.ok(Math.abs(ours - measured) <= 32, `ours ${ours} vs ${measured}`);
});

test("speed model on the H100 against the measured decode and prompt speeds", () => {
    const h100 = { label: "NVIDIA H100 80GB HBM3", bandwidthGBs: 3350, fp16Tflops: 989 };
    const speedRow = (what: string, measured: number, ours: number, tol: number, note: string): void => {
        row(what, measured, ours, "tok/s", `${tol * 100}%${note}`, 1);
        assert.ok(Math.abs(ours - measured) / measured <= tol, `${what}: ours ${ours} vs ${measured}`);
    };
    for (const c of run.configs) {
        const sp = estimateSpeed(GLM4_32B, shape, estimate({ shape, contextSize: c.contextSize, kvCacheType: c.kv }), h100);
        // q8_0 KV costs decode time the model does not count (the product uses f16)
        speedRow(`${c.id} decode at ${c.decode.contextTokensAfter} tokens`, c.decode.tokPerS, sp.decodeTokS, c.kv === "f16" ? 0.05 : 0.1, c.kv === "f16" ? " (anchor)" : " (q8_0 not modeled)");
        speedRow(`${c.id} prompt ${c.prompt.tokens} tokens`, c.prompt.tokPerS, sp.promptTokS, 0.05, " (anchor)");
        if (!c.deep) continue;
        const deepTokens = c.deep.decode.contextTokensAfter - c.deep.decode.tokens / 2; // mean cache fill while decoding
        const deep = estimateSpeed(GLM4_32B, shape, estimate({ shape, contextSize: deepTokens }), h100);
        speedRow(`${c.id} decode at ${c.deep.decode.contextTokensAfter} tokens`, c.deep.decode.steadyTokPerS, deep.decodeTokSFullContext, 0.05, " (KV anchor)");
        // prompt speed falls as the cache fills (attention); the model keeps it flat
        for (const p of c.deep.promptChunks) speedRow(`prompt ${p.startIndex}..${p.startIndex + p.tokens}`, p.tokPerS, sp.promptTokS, 0.2, " (depth not modeled)");
    }
});

test("residual table", () => {
    const head = ["what", "measured", "calculator", "residual", "tolerance"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]): string => "| " + r.map((v, i) => v.padEnd(widths[i]!)).join(" | ") + " |";
    console.log(["", `H100 residuals (${rows.length} rows), calculator - measurement:`, line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
    assert.ok(rows.length >= 3 + 4 * run.configs.length);
});
