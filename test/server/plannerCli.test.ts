/** `cli.ts plan`: the requirements table in a terminal, as text or JSON, for the catalog or one GGUF. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { fixtureModelPath, REPO_ROOT } from "../support/models";
import { parsePlanArgs } from "../../server/cli";

const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "server/cli.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 });

test("plan arguments: repeated --context (K suffix), KV type, flags; bad values refused", () => {
    const a = parsePlanArgs(["--context", "32K", "-c", "4096", "--kv", "q8_0", "--cpu", "--json", "--no-color", "--gguf", "x.gguf"]);
    assert.deepEqual(a.contexts, [32768, 4096]);
    assert.equal(a.kv, "q8_0");
    assert.equal(a.cpu && a.json && !a.color, true);
    assert.equal(a.gguf, "x.gguf");
    assert.throws(() => parsePlanArgs(["--context", "512"]), /outside/);
    assert.throws(() => parsePlanArgs(["--kv", "q4_0"]), /f16 or q8_0/);
    assert.throws(() => parsePlanArgs(["--nope"]), /unknown option/);
});

test("plan prints the catalog table with the recommended row and the GPU classes", () => {
    const r = run("plan", "--cpu", "--no-color");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^GPU: none detected/m);
    assert.match(r.stdout, /^> GLM-4-9B-0414 +Q4_K_M/m);
    assert.match(r.stdout, /Recommended: No GPU was found/);
    assert.match(r.stdout, /24 GB +\(RTX 4090\): at 32K up to GLM-4-32B-0414/);
});

test("plan --json --gguf reads one model's header; errors exit 2 with the usage", () => {
    const r = run("plan", "--cpu", "--json", "--gguf", fixtureModelPath("tiny"), "--context", "1K");
    assert.equal(r.status, 0, r.stderr);
    const t = JSON.parse(r.stdout) as { rows: { sizeSource: string; cells: { contextSize: number }[] }[] };
    assert.equal(t.rows.length, 1);
    assert.equal(t.rows[0]!.sizeSource, "file");
    assert.deepEqual(t.rows[0]!.cells.map((c) => c.contextSize), [1024]);
    const bad = run("plan", "--kv", "q4");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /usage: node out\/cli.js plan/);
});
