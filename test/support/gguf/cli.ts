/**
 * Writes a random-weight GLM-4 GGUF. Usage: tsx test/support/gguf/cli.ts OUT.gguf [tiny|tiny-f16|tiny-codegeex|tiny-norope|32b]
 * "32b" is the exact GLM-4-32B-0414 shape at Q4_K_M-like types (~19.7 GB): the GPU benchmark model.
 */
import { GLM4_32B_SHAPE, writeGlm4Model, type Glm4Shape } from "./glm4Model";
import { FIXTURE_SHAPES } from "../models";

const shapes: Record<string, Glm4Shape> = { ...FIXTURE_SHAPES, "32b": GLM4_32B_SHAPE };
const [out, shapeName = "tiny"] = process.argv.slice(2);
const shape = shapes[shapeName];
if (!out || !shape) {
    console.error(`usage: cli.ts OUT.gguf [${Object.keys(shapes).join("|")}]`);
    process.exit(2);
}
const t0 = Date.now();
const { bytes } = writeGlm4Model(out, shape);
console.log(`wrote ${out}: ${(bytes / 1e6).toFixed(2)} MB (${shape.name}) in ${Date.now() - t0} ms`);
