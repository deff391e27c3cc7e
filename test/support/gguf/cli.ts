/**
 * Writes a random-weight GLM-4 GGUF. Usage: tsx test/support/gguf/cli.ts OUT.gguf [SHAPE]
 * SHAPE: a test fixture (tiny, tiny-f16, tiny-codegeex, tiny-norope, tiny-agree; default tiny) or a GPU benchmark
 * model: 32b / 9b (the exact GLM-4-32B-0414 / GLM-4-9B-0414 shapes at Q4_K_M, ~19.7 / ~6.2 GB), 32b-agree, 9b-agree.
 */
import { BENCH_SHAPES, writeGlm4Model, type Glm4Shape } from "./glm4Model";
import { FIXTURE_SHAPES } from "../models";

const shapes: Record<string, Glm4Shape> = { ...FIXTURE_SHAPES, ...BENCH_SHAPES };
const [out, shapeName = "tiny"] = process.argv.slice(2);
const shape = shapes[shapeName];
if (!out || !shape) {
    console.error(`usage: cli.ts OUT.gguf [${Object.keys(shapes).join("|")}]`);
    process.exit(2);
}
const t0 = Date.now();
const { bytes } = writeGlm4Model(out, shape);
console.log(`wrote ${out}: ${(bytes / 1e6).toFixed(2)} MB (${shape.name}) in ${Date.now() - t0} ms`);
