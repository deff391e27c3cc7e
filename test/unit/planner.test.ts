/**
 * The VRAM calculator, catalog and chooser against hand-computed values for the GLM-4-32B-0414 shape
 * (61 layers, 6144 wide, 48/2 heads, head dim 128, ffn 23040, vocab 151552). Pure: no model is loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { estimate, maxGpuLayers, yarnMetadataOverrides, GiB, MiB, GPU_RUNTIME_OVERHEAD, GPU_CONTEXT_OVERHEAD, computeBufferBytes } from "../../server/planner/calculator";
import { catalogVariant, catalogVariants, findCatalogVariant, GLM4_32B, GLM4_9B } from "../../server/planner/catalog";
import { glm4QuantTensors, useMoreBits } from "../../server/planner/quantMix";
import { tensorBytes, bitsPerWeight } from "../../server/planner/ggml";

const q4 = catalogVariant(GLM4_32B, "Q4_K_M");
const s = q4.shape;

test("GLM-4-32B KV cache: 61 x 2 x 128 x 2 x 2 bytes = 61 KiB per token at f16; q8_0 is 34/32 bytes per element", () => {
    assert.equal(estimate({ shape: s, contextSize: 1024 }).kvBytesPerToken, 61 * 2 * 128 * 2 * 2);
    assert.equal(estimate({ shape: s, contextSize: 1024 }).kvBytesPerToken, 61 * 1024);
    assert.equal(estimate({ shape: s, contextSize: 1024, kvCacheType: "q8_0" }).kvBytesPerToken, 61 * 2 * 128 * 2 * (34 / 32));
});

// contextSize -> [f16 KV bytes, q8_0 KV bytes] = 62,464 (resp. 33,184) bytes/token x context padded to 256
const KV_TABLE: [number, number, number][] = [
    [1000, 62464 * 1024, 33184 * 1024],
    [4096, 62464 * 4096, 33184 * 4096],
    [32768, 2_046_820_352, 1_087_373_312], // 1.906 GiB / 1.013 GiB (GLM4.md: 1.9 GiB at 32K)
    [131072, 8_187_281_408, 4_349_493_248], // 7.625 GiB at 128K (GLM4.md: 7.6 GiB)
];
for (const [ctx, f16, q8] of KV_TABLE) {
    test(`KV cache at ${ctx} tokens: f16 ${f16} B, q8_0 ${q8} B (all on the GPU)`, () => {
        assert.equal(estimate({ shape: s, contextSize: ctx }).vram.kvCache, f16);
        assert.equal(estimate({ shape: s, contextSize: ctx, kvCacheType: "q8_0" }).vram.kvCache, q8);
    });
}

test("Q4_K_M weights: 17.8 GiB on the GPU, token embeddings (Q4_K, 6144 x 151552 x 144/256 B) stay in RAM", () => {
    assert.equal(s.inputBytes, (6144 * 151552 * 144) / 256);
    const e = estimate({ shape: s, contextSize: 32768 });
    assert.equal(e.vram.weights, s.fileBytes - s.inputBytes - 6_000_000);
    assert.ok(Math.abs(e.vram.weights / GiB - 17.8) < 0.05, `${e.vram.weights / GiB}`);
    assert.equal(e.outputOnGpu, true);
    assert.equal(e.offloadedLayers, 61);
});

test("catalog sizes derived from llama.cpp's quantization rules agree with the published 32B Q4_K_M and Q8_0 files", () => {
    for (const quant of ["Q4_K_M", "Q8_0"] as const) {
        const v = catalogVariant(GLM4_32B, quant);
        assert.equal(v.sizeSource, "published");
        const residual = Math.abs(v.derivedBytes - v.fileBytes) / v.fileBytes;
        assert.ok(residual < 0.001, `${quant}: derived ${v.derivedBytes} vs published ${v.fileBytes} (${(residual * 100).toFixed(3)}%)`);
    }
    assert.equal(catalogVariant(GLM4_32B, "Q6_K").sizeSource, "derived");
    assert.equal(catalogVariants().length, 22);
    // parameters: 32.57 B (GLM4.md) and GLM-4-9B's 9.4 B
    assert.ok(Math.abs(s.parameters / 1e9 - 32.57) < 0.01);
    assert.ok(Math.abs(catalogVariant(GLM4_9B, "Q4_K_M").shape.parameters / 1e9 - 9.40) < 0.01);
});

test("quantization mix: use_more_bits in integer arithmetic, Q6_K head, fallback types for 9B's 13,696-wide ffn_down", () => {
    // n = 61: n/8 = 7, 7n/8 = 53: layers 0..6, 53..60, and (i - 7) % 3 == 2
    const more = Array.from({ length: 61 }, (_, i) => i).filter((i) => useMoreBits(i, 61));
    assert.deepEqual(more.slice(0, 9), [0, 1, 2, 3, 4, 5, 6, 9, 12]);
    assert.deepEqual(more.slice(-9), [51, 53, 54, 55, 56, 57, 58, 59, 60]);
    const t32 = glm4QuantTensors(GLM4_32B.arch, "Q4_K_M");
    assert.equal(t32.find((t) => t.name === "output.weight")!.type, "Q6_K");
    assert.equal(t32.find((t) => t.name === "blk.9.ffn_down.weight")!.type, "Q6_K");
    assert.equal(t32.find((t) => t.name === "blk.10.ffn_down.weight")!.type, "Q4_K");
    const t9 = glm4QuantTensors(GLM4_9B.arch, "Q4_K_M");
    assert.equal(t9.find((t) => t.name === "blk.0.ffn_down.weight")!.type, "Q8_0"); // Q6_K -> Q8_0
    assert.equal(t9.find((t) => t.name === "blk.11.ffn_down.weight")!.type, "Q5_0"); // Q4_K -> Q5_0 (n = 40: layer 10 gets more bits, 11 does not)
    assert.ok(t9.some((t) => t.name === "blk.0.attn_q.bias"));
    assert.equal(tensorBytes([6144, 151552], "Q6_K"), 6144 * 151552 * 210 / 256);
    assert.equal(bitsPerWeight("Q4_K"), 4.5);
});

test("compute buffer: with flash attention GLM-4-32B's peak is the logits of a 512-token batch", () => {
    const fa = (ctx: number) => computeBufferBytes(s, { ubatch: 512, nKv: ctx, flashAttention: true, layers: true, output: true });
    // 512 x 4 x (151552 + 2 x 6144) = 335,544,320 B (GLM4.md: ~0.3 GiB at batch 512 with flash attention)
    assert.equal(fa(32768), 335_544_320);
    assert.equal(fa(131072), 335_544_320); // mask 512 x 131072 x 2 + FFN 512 x 4 x 81408 = 300,941,312 < logits
    // without flash attention: f32 scores 512 x 32768 x 48 x 4 + f32 mask 512 x 32768 x 4 + 512 x 4 x 31232
    assert.equal(computeBufferBytes(s, { ubatch: 512, nKv: 32768, flashAttention: false, layers: true, output: true }), 3_352_297_472);
});

test("GLM-4-32B Q4_K_M at 32K needs about 20.6 GiB (H100 2026-11-26: 21,134 MiB for the process) and fits a 24 GB card", () => {
    const e = estimate({ shape: s, contextSize: 32768 });
    // GPU compute buffer: 512 x 4 x (151552 + 6144) = 308 MiB (llama.cpp's CUDA0 log; the CPU dry run has one more embd)
    assert.equal(e.vram.total, e.vram.weights + 2_046_820_352 + 322_961_408 + GPU_RUNTIME_OVERHEAD + GPU_CONTEXT_OVERHEAD);
    assert.ok(Math.abs(e.vram.total / GiB - 20.64) < 0.05, `${e.vram.total / GiB} GiB`);
    assert.ok(e.vram.total < 23.5 * GiB);
});

test("partial offload: layers from the top, output head on the CPU, op-offload copy of the head in the GPU compute buffer", () => {
    const e = estimate({ shape: s, contextSize: 8192, gpuLayers: 30 });
    assert.equal(e.offloadedLayers, 30);
    assert.equal(e.outputOnGpu, false);
    const layerSum = s.layerBytes.slice(31).reduce((a, b) => a + b, 0);
    assert.equal(e.vram.weights, layerSum);
    assert.equal(e.vram.kvCache, 30 * 1024 * 8192);
    assert.equal(e.ram.kvCache, 31 * 1024 * 8192);
    assert.ok(e.vram.compute >= s.outputBytes);
    assert.equal(e.vram.weights + e.ram.weights, s.fileBytes);
    const cpu = estimate({ shape: s, contextSize: 8192, gpuLayers: 0 });
    assert.equal(cpu.vram.total, 0);
    assert.equal(cpu.ram.kvCache, 61 * 1024 * 8192);
});

test("maxGpuLayers is the largest offload within the budget", () => {
    const budget = 12 * GiB;
    const n = maxGpuLayers({ shape: s, contextSize: 16384 }, budget);
    assert.ok(n > 0 && n <= 61);
    assert.ok(estimate({ shape: s, contextSize: 16384, gpuLayers: n }).vram.total <= budget);
    assert.ok(estimate({ shape: s, contextSize: 16384, gpuLayers: n + 1 }).vram.total > budget);
    assert.equal(maxGpuLayers({ shape: s, contextSize: 16384 }, 100 * GiB), 62);
    assert.equal(maxGpuLayers({ shape: s, contextSize: 16384 }, 100 * MiB), 0);
});

test("YaRN beyond 32K: factor 4 sent as a float (4.000001, never the int 4); none within the native context", () => {
    assert.equal(yarnMetadataOverrides("glm4", 32768, 32768), undefined);
    const o = yarnMetadataOverrides("glm4", 32768, 131072) as { glm4: { rope: { scaling: { factor: number; type: string; original_context_length: number } } } };
    assert.equal(o.glm4.rope.scaling.type, "yarn");
    assert.equal(Number.isInteger(o.glm4.rope.scaling.factor), false);
    assert.ok(Math.abs(o.glm4.rope.scaling.factor - 4) < 1e-5);
    assert.equal(o.glm4.rope.scaling.original_context_length, 32768);
    assert.equal(estimate({ shape: s, contextSize: 65536 }).yarnFactor, 4);
    assert.equal(estimate({ shape: s, contextSize: 32768 }).yarnFactor, undefined);
});

test("a quantized KV cache without flash attention is refused", () => {
    assert.throws(() => estimate({ shape: s, contextSize: 4096, kvCacheType: "q8_0", flashAttention: false }));
});

test("findCatalogVariant resolves hf: URIs of the catalog, case-insensitively", () => {
    assert.equal(findCatalogVariant("hf:bartowski/THUDM_GLM-4-32B-0414-GGUF:Q4_K_M")?.quant, "Q4_K_M");
    assert.equal(findCatalogVariant("hf:bartowski/thudm_glm-4-9b-0414-gguf:q8_0")?.model.id, "glm-4-9b-0414");
    assert.equal(findCatalogVariant("hf:someone/else:Q4_K_M"), undefined);
    assert.equal(findCatalogVariant("/models/x.gguf"), undefined);
});
