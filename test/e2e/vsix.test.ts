/**
 * The packaged extension (out/glm4-code.vsix, `npm run package`): holds the bundles and node-llama-cpp with its
 * production dependency tree and the linux-x64 CPU prebuilt, nothing else from node_modules; and node-llama-cpp
 * loads from the unpacked extension with plain node, resolved the way out/server.js resolves it, and runs the
 * tiny model.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { fixtureModelPath, testThreads } from "../support/models";
import { ensureVsix } from "./support/session";

let tmp: string;
let ext: string;
let vsixBytes: number;

before(() => {
    const vsix = ensureVsix();
    vsixBytes = fs.statSync(vsix).size;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "glm4-vsix-"));
    const r = spawnSync("unzip", ["-q", vsix, "-d", tmp], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, `unzip failed: ${r.error?.message ?? r.stderr}`);
    ext = path.join(tmp, "extension");
});

after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("the vsix holds the bundles the manifest points at", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ext, "package.json"), "utf8")) as { main: string; dependencies: Record<string, string>; devDependencies?: unknown };
    for (const rel of [pkg.main, "out/server.js", "media/icons/glm4.svg"]) {
        assert.ok(fs.existsSync(path.join(ext, rel)), `${rel} is packaged`);
    }
    assert.deepEqual(Object.keys(pkg.dependencies), ["node-llama-cpp"]);
    assert.equal(pkg.devDependencies, undefined);
});

test("node_modules holds node-llama-cpp's tree and only the CPU prebuilt", () => {
    const nm = path.join(ext, "node_modules");
    const top = fs.readdirSync(nm).flatMap((d) => d.startsWith("@") ? fs.readdirSync(path.join(nm, d)).map((s) => `${d}/${s}`) : [d]);
    assert.ok(top.includes("node-llama-cpp"));
    assert.deepEqual(top.filter((d) => d.startsWith("@node-llama-cpp/")), ["@node-llama-cpp/linux-x64"]);
    for (const bundled of ["vscode-languageclient", "vscode-languageserver", "typescript", "esbuild", "playwright-core", "@vscode/vsce"]) {
        assert.ok(!top.includes(bundled), `${bundled} is bundled or a dev tool, not shipped`);
    }
    assert.ok(fs.existsSync(path.join(nm, "@node-llama-cpp", "linux-x64", "bins", "linux-x64", "llama-addon.node")));
    assert.ok(!fs.existsSync(path.join(nm, "node-llama-cpp", "llama", "gitRelease.bundle")), "the llama.cpp source bundle is left out");
    const mb = vsixBytes / 1024 / 1024;
    assert.ok(mb > 5 && mb < 60, `vsix size ${mb.toFixed(1)} MB is sane for a CPU build`);
});

test("plain node loads node-llama-cpp from the unpacked extension and runs the tiny model", { timeout: 60_000 }, () => {
    // A probe next to out/server.js resolves "node-llama-cpp" exactly as the server's `await import()` does.
    const probe = path.join(ext, "out", "probe.mjs");
    fs.writeFileSync(probe, `
        const { getLlama } = await import("node-llama-cpp");
        const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
        const model = await llama.loadModel({ modelPath: process.argv[2] });
        const context = await model.createContext({ contextSize: 256, threads: Number(process.argv[3]) });
        const tokens = model.tokenize("hello world");
        const seq = context.getSequence();
        let generated = 0;
        for await (const _ of seq.evaluate(tokens, { yieldEogToken: true })) if (++generated >= 4) break;
        const resolved = import.meta.resolve("node-llama-cpp");
        console.log(JSON.stringify({ gpu: llama.gpu, tokens: tokens.length, generated, resolved }));
        await context.dispose(); await model.dispose(); await llama.dispose();
    `);
    const r = spawnSync(process.execPath, [probe, fixtureModelPath("tiny"), String(testThreads())], { encoding: "utf8", timeout: 55_000, cwd: os.tmpdir() });
    assert.equal(r.status, 0, `probe failed:\n${r.stdout}\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { gpu: unknown; tokens: number; generated: number; resolved: string };
    assert.equal(out.gpu, false);
    assert.ok(out.tokens > 0);
    assert.equal(out.generated, 4);
    assert.ok(out.resolved.startsWith(`file://${ext}/node_modules/node-llama-cpp/`), `resolved inside the extension: ${out.resolved}`);
});
