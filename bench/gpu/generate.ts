/**
 * GPU bench entry (bundled by prepare.sh into .device/gen.cjs, run by device.sh with the carried Node binary):
 * writes a random-weight GLM-4 GGUF with the repo's generator and checks its size against the layout.
 *
 * Usage: node gen.cjs SHAPE OUT.gguf [RESULT.json]   |   node gen.cjs SHAPE --size-only
 *        node gen.cjs SHAPE --sparse OUT.gguf  (header only, then a hole up to the full size: for header checks)
 *   SHAPE: 32b (GLM4_32B_SHAPE, ~19.7 GB), 9b (GLM4_9B_SHAPE, ~6.2 GB), 32b-agree, 9b-agree (BENCH_SHAPES) or a
 *   fixture name (tiny, tiny-f16, tiny-agree, ...).
 * An existing file of exactly the expected size is reused (a rerun on a warm machine skips the write).
 * Prints one JSON line and writes it to RESULT.json; exit code 1 when the size does not match.
 */
import * as fs from "node:fs";
import { buildHeader } from "../../test/support/gguf/ggufWriter";
import { BENCH_SHAPES, glm4ModelFileSize, glm4ModelLayout, writeGlm4Model, type Glm4Shape } from "../../test/support/gguf/glm4Model";
import { FIXTURE_SHAPES } from "../../test/support/models";

const shapes: Record<string, Glm4Shape> = {
    ...FIXTURE_SHAPES,
    // the dry run's CPU model: head_dim 32 so a q8_0 KV cache (32-element blocks) is possible, as on the real 128
    "tiny-hd32": { ...FIXTURE_SHAPES.tiny, name: "glm4-tiny-random head_dim 32", headDim: 32 },
    ...BENCH_SHAPES,
};
const [shapeName, out, resultPath] = process.argv.slice(2);
const shape = shapeName === undefined ? undefined : shapes[shapeName];
if (!shape || !out) {
    console.error(`usage: gen.cjs ${Object.keys(shapes).join("|")} OUT.gguf [RESULT.json]`);
    process.exit(2);
}

const expectedBytes = glm4ModelFileSize(shape);
if (out === "--size-only") {
    console.log(JSON.stringify({ shape: shapeName, name: shape.name, expectedBytes }));
    process.exit(0);
}
if (out === "--sparse") {
    const target = resultPath;
    if (!target) throw new Error("--sparse needs OUT.gguf");
    const { meta, tensors } = glm4ModelLayout(shape);
    const header = buildHeader(meta, tensors);
    fs.writeFileSync(target, header);
    fs.truncateSync(target, expectedBytes);
    console.log(JSON.stringify({ shape: shapeName, sparse: target, headerBytes: header.length, expectedBytes }));
    process.exit(0);
}
const existing = fs.existsSync(out) ? fs.statSync(out).size : -1;
const t0 = Date.now();
let reused = false;
let writtenBytes = existing;
if (existing === expectedBytes) {
    reused = true;
} else {
    const tmp = `${out}.partial`;
    writtenBytes = writeGlm4Model(tmp, shape).bytes;
    fs.renameSync(tmp, out);
}
const ms = Date.now() - t0;
const fileBytes = fs.statSync(out).size;
const result = {
    shape: shapeName,
    name: shape.name,
    path: out,
    expectedBytes,
    writtenBytes,
    fileBytes,
    sizeMatches: fileBytes === expectedBytes && writtenBytes === expectedBytes,
    reused,
    ms,
    mbPerS: reused || ms === 0 ? null : Math.round(fileBytes / 1e6 / (ms / 1000)),
};
const line = JSON.stringify(result);
console.log(line);
if (resultPath) fs.writeFileSync(resultPath, line + "\n");
process.exit(result.sizeMatches ? 0 : 1);
