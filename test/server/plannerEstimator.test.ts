/**
 * The calculator against node-llama-cpp 3.21.1's own estimators, on the tiny GLM-4 fixture and on a generated
 * full-width model (GLM-4-32B's width and vocabulary, 2 layers, Q4_K_M types; header only, the tensor data is
 * a sparse hole, since estimators read only the header):
 * - weights: `GgufInsights.estimateModelResourceRequirements` (exact tensor bytes). node-llama-cpp counts the
 *   output head as the first offloaded layer, llama.cpp (and we) as the last: nlc(k) = ours(k - 1) + head.
 * - KV cache + compute buffers: node-llama-cpp's simulation (`estimateContextResourceRequirementsV2`), which
 *   is llama.cpp's own dry-run allocation (no_alloc) on the CPU backend: the residual is a few KiB.
 * - The older heuristic (`estimateContextResourceRequirements`, V1) is reported, not matched: it adds the host
 *   logits buffer to VRAM and guesses the graph size (see the diagnostics for the residual).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { GgufInsights, Llama } from "node-llama-cpp";
import { fixtureModelPath, MODELS_DIR } from "../support/models";
import { glm4ModelLayout, GLM4_32B_SHAPE } from "../support/gguf/glm4Model";
import { buildHeader, ggufFileSize } from "../support/gguf/ggufWriter";
import { estimate, computeBufferBytes } from "../../server/planner/calculator";
import { readModelShape } from "../../server/planner/machine";
import type { ModelShape } from "../../server/planner/shape";

type Nlc = typeof import("node-llama-cpp");
let nlc: Nlc;
let llama: Llama;

/** GLM-4-32B's width at 2 layers with Q4_K_M types: the header of the real file, the data a sparse hole. */
function wideModelPath(): string {
    const file = path.join(MODELS_DIR, "glm4-32b-width-2layers.header.gguf");
    if (fs.existsSync(file)) return file;
    fs.mkdirSync(MODELS_DIR, { recursive: true });
    const { meta, tensors } = glm4ModelLayout({ ...GLM4_32B_SHAPE, name: "GLM-4-32B width, 2 layers", layers: 2 });
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, "w");
    try {
        fs.writeSync(fd, buildHeader(meta, tensors));
        fs.ftruncateSync(fd, ggufFileSize(meta, tensors));
    } finally {
        fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    return file;
}

before(async () => {
    nlc = await import("node-llama-cpp");
    llama = await nlc.getLlama({ gpu: false, build: "never", logLevel: nlc.LlamaLogLevel.error });
});
after(async () => { await llama?.dispose(); });

const models = [
    { label: "tiny", path: () => fixtureModelPath("tiny") },
    { label: "full-width 2-layer Q4_K_M", path: wideModelPath },
];

for (const m of models) {
    test(`${m.label}: weights on the GPU per layer count equal node-llama-cpp's tensor sizes exactly`, async () => {
        const file = m.path();
        const shape = await readModelShape(file);
        const insights = await nlc.GgufInsights.from(await nlc.readGgufFileInfo(file), llama);
        assert.equal(shape.layers, 2);
        assert.equal(insights.modelSize, shape.fileBytes - headerBytes(shape), "all tensors");
        for (let k = 0; k <= shape.layers + 1; k++) {
            const theirs = insights.estimateModelResourceRequirements({ gpuLayers: k, useMmap: false, gpuSupportsMmap: false }).gpuVram;
            const oursK: number = k === 0 ? 0 : k === shape.layers + 1 ? k : k - 1;
            let ours: number = estimate({ shape, contextSize: 4096, gpuLayers: oursK }).vram.weights;
            if (k > 0 && k <= shape.layers) ours += shape.outputBytes;
            assert.equal(ours, theirs, `gpuLayers ${k}`);
        }
    });

    const cases = [
        { ctx: 4096, fa: true, kv: "f16" }, { ctx: 32768, fa: true, kv: "f16" }, { ctx: 4096, fa: false, kv: "f16" },
        { ctx: 32768, fa: false, kv: "f16" }, { ctx: 8192, fa: true, kv: "q8_0" },
    ] as const;
    test(`${m.label}: KV cache + compute buffers match llama.cpp's dry-run allocation (node-llama-cpp simulation)`, async (t) => {
        const file = m.path();
        const shape = await readModelShape(file);
        const insights: GgufInsights = await nlc.GgufInsights.from(await nlc.readGgufFileInfo(file), llama);
        for (const c of cases) {
            if (c.kv === "q8_0" && shape.headDimK % 32 !== 0) {
                // llama.cpp refuses a q8_0 cache when the head dimension (tiny: 16) is not a multiple of its block
                assert.throws(() => estimate({ shape, contextSize: c.ctx, kvCacheType: c.kv }), RangeError);
                continue;
            }
            const kvType = c.kv === "f16" ? nlc.GgmlType.F16 : nlc.GgmlType.Q8_0;
            const sim = await insights.estimateContextResourceRequirementsV2({
                contextSize: c.ctx, modelGpuLayers: 0, batchSize: 512, sequences: 1, flashAttention: c.fa, kvCacheKeyType: kvType, kvCacheValueType: kvType,
            });
            const e = estimate({ shape, contextSize: c.ctx, gpuLayers: 0, flashAttention: c.fa, kvCacheType: c.kv, gpu: false });
            const ours = e.ram.kvCache + e.ram.compute;
            const residual = ours - sim.cpuRam;
            t.diagnostic(`${c.ctx} ctx, FA ${c.fa}, KV ${c.kv}: ours ${ours} B, llama.cpp ${sim.cpuRam} B, residual ${residual} B (${((residual / sim.cpuRam) * 100).toFixed(3)}%)`);
            assert.ok(Math.abs(residual) <= 32 * 1024 + 0.005 * sim.cpuRam, `${JSON.stringify(c)}: ours ${ours} vs ${sim.cpuRam}`);

            const v1 = insights.estimateContextResourceRequirements({
                contextSize: c.ctx, modelGpuLayers: shape.layers + 1, batchSize: 512, sequences: 1, flashAttention: c.fa, kvCacheKeyType: kvType, kvCacheValueType: kvType,
            });
            const gpu = estimate({ shape, contextSize: c.ctx, flashAttention: c.fa, kvCacheType: c.kv });
            const oursGpu = gpu.vram.kvCache + gpu.vram.compute;
            t.diagnostic(`  vs the V1 heuristic (all on GPU): ours ${oursGpu} B, V1 ${Math.round(v1.gpuVram)} B, residual ${Math.round(oursGpu - v1.gpuVram)} B`);
            assert.equal(gpu.vram.kvCache, e.ram.kvCache, "the KV cache moves to the GPU whole");
        }
    });
}

test("the full-width model's compute buffer is the logits of a 512-token batch, as for GLM-4-32B", async () => {
    const shape = await readModelShape(wideModelPath());
    assert.equal(shape.vocab, 151552);
    assert.equal(computeBufferBytes(shape, { ubatch: 512, nKv: 32768, flashAttention: true, layers: true, output: true }), 512 * 4 * (151552 + 2 * 6144));
});

function headerBytes(shape: ModelShape): number {
    return shape.fileBytes - shape.inputBytes - shape.outputBytes - shape.layerBytes.reduce((a, b) => a + b, 0);
}
