/**
 * `npm run bench`'s GPU section: which models it uses and when it skips (bench/gpuRows.ts), on tiny shapes.
 * The measurement itself (bench/secondModel.ts) runs on the CPU in bench/gpu/dryrun.sh and on the H100.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { benchModels, gpuSection } from "../../bench/gpuRows";
import { glm4ModelFileSize, TINY_SHAPE } from "../support/gguf/glm4Model";
import { getSharedLlama } from "../../server/model/llama/engine";

test("benchModels writes what is missing, keeps complete files and rewrites a file of the wrong size", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glm4-bench-models-"));
    try {
        const shapes = { a: TINY_SHAPE, b: { ...TINY_SHAPE, agree: true } };
        const written: string[] = [];
        const first = benchModels(dir, (m) => written.push(m), shapes);
        assert.equal(typeof first, "object");
        const paths = first as Record<"a" | "b", string>;
        assert.equal(written.length, 2);
        assert.equal(fs.statSync(paths.a).size, glm4ModelFileSize(TINY_SHAPE));
        const before = fs.statSync(paths.b).mtimeMs;
        fs.truncateSync(paths.a, 100); // an interrupted write
        written.length = 0;
        benchModels(dir, (m) => written.push(m), shapes);
        assert.deepEqual(written.map((m) => path.basename(m.split(" ")[1]!)), ["glm4-a-random.gguf"]);
        assert.equal(fs.statSync(paths.a).size, glm4ModelFileSize(TINY_SHAPE));
        assert.equal(fs.statSync(paths.b).mtimeMs, before);
        assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".partial")), []);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test("the GPU section says why it is skipped: BENCH_GPU=0, or a CPU backend", async () => {
    const llama = await getSharedLlama(false);
    const saved = process.env.BENCH_GPU;
    try {
        process.env.BENCH_GPU = "0";
        assert.deepEqual(await gpuSection(llama, 1, true, () => undefined), { ran: false, reason: "BENCH_GPU=0" });
        delete process.env.BENCH_GPU;
        const r = await gpuSection(llama, 1, true, () => undefined);
        assert.equal(r.ran, false);
        assert.match((r as { reason: string }).reason, /no GPU backend/);
    } finally {
        if (saved === undefined) delete process.env.BENCH_GPU; else process.env.BENCH_GPU = saved;
    }
});
