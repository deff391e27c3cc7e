/**
 * Test fixture models, generated on first use (deterministic, ~0.5 MB) into .cache/models/. Safe under the
 * parallel test runner: each file is written to a temporary name and renamed into place.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TINY_SHAPE, writeGlm4Model, type Glm4Shape } from "./gguf/glm4Model";

export const FIXTURE_SHAPES = {
    tiny: TINY_SHAPE,
    "tiny-f16": { ...TINY_SHAPE, weights: "f16" },
    "tiny-codegeex": { ...TINY_SHAPE, codeGeexTokens: true },
    "tiny-norope": { ...TINY_SHAPE, ropeDimensionCount: null },
    /** Always predicts "a", confidently (see `Glm4Shape.agree`): a draft model that is always right. */
    "tiny-agree": { ...TINY_SHAPE, name: "glm4-tiny-agree", agree: true },
} satisfies Record<string, Glm4Shape>;
export type FixtureName = keyof typeof FIXTURE_SHAPES;

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const MODELS_DIR = path.join(REPO_ROOT, ".cache", "models");

export function fixtureModelPath(name: FixtureName = "tiny"): string {
    const file = path.join(MODELS_DIR, `${name}.gguf`);
    if (fs.existsSync(file)) return file;
    fs.mkdirSync(MODELS_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeGlm4Model(tmp, FIXTURE_SHAPES[name]);
    fs.renameSync(tmp, file);
    return file;
}

/**
 * Threads for the tiny test model: always explicit (node-llama-cpp's default of 4 on 2 cores is ~500x slower),
 * and 1, since a 64-wide model gains nothing from a second thread and loses badly when the other core is busy
 * (measured: 2 threads took 9 s for 30 tokens on a loaded 2-core machine, 1 thread 24 ms).
 */
export function testThreads(): number {
    return 1;
}
