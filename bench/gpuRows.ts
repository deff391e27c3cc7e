/**
 * `npm run bench`'s GPU section (issue 4): the GLM-4-9B rows of `secondModel.ts`, run when node-llama-cpp's
 * backend is a GPU. Models, in order of preference:
 * - BENCH_MAIN_MODEL and BENCH_SMALL_MODEL: real GLM-4-32B-0414 / GLM-4-9B-0414 GGUF paths (real acceptance rates);
 * - else the generator's random-weight shapes (`BENCH_SHAPES`: 32b, 9b and their `agree` variants, 51.7 GB),
 *   written once into .cache/models/bench/ when the disk has room (BENCH_GPU_MODEL_DIR overrides the folder).
 * BENCH_GPU=0 skips the section; on a CPU backend it is skipped with the reason printed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Llama } from "node-llama-cpp";
import { BENCH_SHAPES, glm4ModelFileSize, writeGlm4Model, type Glm4Shape } from "../test/support/gguf/glm4Model";
import { MODELS_DIR } from "../test/support/models";
import { secondModelBench, SECOND_MODEL_DEFAULTS, type SecondModelResult } from "./secondModel";

export type GpuSection = { ran: true; result: SecondModelResult } | { ran: false; reason: string };

/**
 * Writes the shapes whose file is missing or of the wrong size into `dir` (complete files are kept); returns
 * their paths, or why not (too little disk).
 */
export function benchModels<K extends string>(dir: string, log: (m: string) => void, shapes: Record<K, Glm4Shape>): Record<K, string> | string {
    const names = Object.keys(shapes) as K[];
    const paths = Object.fromEntries(names.map((n) => [n, path.join(dir, `glm4-${n}-random.gguf`)])) as Record<K, string>;
    const missing = names.filter((n) => !fs.existsSync(paths[n]) || fs.statSync(paths[n]).size !== glm4ModelFileSize(shapes[n]));
    const need = missing.reduce((s, n) => s + glm4ModelFileSize(shapes[n]), 0);
    if (need > 0) {
        fs.mkdirSync(dir, { recursive: true });
        const { bavail, bsize } = fs.statfsSync(dir);
        const free = bavail * bsize;
        if (free < need + 5e9) {
            return `the random-weight 32B/9B models need ${(need / 1e9).toFixed(1)} GB in ${dir} (${(free / 1e9).toFixed(1)} GB free); ` +
                "set BENCH_MAIN_MODEL and BENCH_SMALL_MODEL to GGUF files instead";
        }
    }
    for (const n of missing) {
        log(`writing ${paths[n]} (${(glm4ModelFileSize(shapes[n]) / 1e9).toFixed(1)} GB)`);
        const tmp = `${paths[n]}.partial`;
        writeGlm4Model(tmp, shapes[n]);
        fs.renameSync(tmp, paths[n]);
    }
    return paths;
}

export async function gpuSection(llama: Llama, threads: number, quick: boolean, log: (m: string) => void): Promise<GpuSection> {
    if (process.env.BENCH_GPU === "0") return { ran: false, reason: "BENCH_GPU=0" };
    if (llama.gpu === false) {
        return { ran: false, reason: "no GPU backend here (node-llama-cpp runs on the CPU); bench/gpu/ has the H100 run (bench/gpu/results/)" };
    }
    const main = process.env.BENCH_MAIN_MODEL, small = process.env.BENCH_SMALL_MODEL;
    let models: { mainPath: string; smallPath: string; agree?: { mainPath: string; smallPath: string } };
    if (main && small) {
        models = { mainPath: main, smallPath: small };
    } else {
        const generated = benchModels(process.env.BENCH_GPU_MODEL_DIR ?? path.join(MODELS_DIR, "bench"), log, BENCH_SHAPES);
        if (typeof generated === "string") return { ran: false, reason: generated };
        models = {
            mainPath: generated["32b"], smallPath: generated["9b"],
            agree: { mainPath: generated["32b-agree"], smallPath: generated["9b-agree"] },
        };
    }
    const result = await secondModelBench({
        ...SECOND_MODEL_DEFAULTS, ...models, gpu: "auto", threads, log, ...(quick ? { reps: 1, chatTokens: 64 } : {}),
    });
    return { ran: true, result };
}
