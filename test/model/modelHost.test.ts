/**
 * The model host over a real LSP connection and the real engine on the tiny GLM-4 fixture: loading with
 * window/workDoneProgress and status, errors that stay put, reload on settings change, idle unload, memory
 * step-down (a real RAM cap on the engine, and an injected first-attempt failure).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
import { LSPErrorCodes, ResponseError } from "vscode-languageserver-protocol";
import { fixtureModelPath, testThreads } from "../support/models";
import { startLspPair } from "./lspPair";
import { createModelHost, type ModelHostOptions } from "../../server/model/modelHost";
import { MutableSettingsStore } from "../../server/settings";
import { memoryLogger } from "../../server/logger";
import { DEFAULT_SETTINGS, type Glm4Settings } from "../../server/protocol/settings";
import type { ModelStatus } from "../../server/protocol/status";
import type { ModelProvider } from "../../server/model/modelProvider";
import { special } from "../../server/model/languageModel";
import { getSharedLlama, loadNodeLlamaCpp } from "../../server/model/llama/engine";
import { memoryFallbackPlans, type LoadPlan } from "../../server/model/llama/localEngine";

const PROMPT = [special("[gMASK]<sop><|user|>\nhi<|assistant|>\n")];

async function setup(overrides: Partial<Glm4Settings> = {}, options: ModelHostOptions = {}) {
    const pair = await startLspPair();
    const settings = new MutableSettingsStore({ ...DEFAULT_SETTINGS, model: fixtureModelPath(), threads: testThreads(), ...overrides });
    const log = memoryLogger();
    const host = createModelHost({ connection: pair.server, settings, log, storagePath: path.join(os.tmpdir(), "glm4-host-test") }, options);
    const statuses: ModelStatus[] = [];
    host.onDidChangeStatus((s) => statuses.push(s));
    const update = (patch: Partial<Glm4Settings>): void => settings.set({ ...settings.get(), ...patch });
    return { pair, settings, log, host, statuses, update, async dispose() { await host.dispose(); pair.dispose(); } };
}

function nextStatus(host: ModelProvider, pred: (s: ModelStatus) => boolean): Promise<ModelStatus> {
    return new Promise((resolve) => {
        const sub = host.onDidChangeStatus((s) => { if (pred(s)) { sub.dispose(); resolve(s); } });
    });
}

function kindOf(e: unknown): string | undefined {
    return e instanceof ResponseError ? (e.data as { kind?: string } | undefined)?.kind : undefined;
}

/** Waits (bounded) for messages still in flight on the LSP channel. */
async function eventually(check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(check(), "condition not reached");
}

describe("modelHost", () => {
    test("loads with window/workDoneProgress and a ready status; acquire gives a working model", async () => {
        const t = await setup();
        try {
            const status = await t.host.reload();
            assert.equal(status.state, "ready");
            assert.equal(status.modelName, "glm4-tiny-random");
            assert.ok(status.contextSize! > 0);
            assert.match(status.device!, /^CPU, \d+ threads/);
            const states = t.statuses.map((s) => s.state);
            assert.ok(states.indexOf("loading") >= 0 && states.indexOf("loading") < states.indexOf("ready"), states.join(","));
            await eventually(() => t.pair.progress.some((p) => p.kind === "end"));
            assert.equal(t.pair.createdTokens.length, 1);
            assert.equal(t.pair.progress[0]!.kind, "begin");
            assert.ok(t.pair.progress.some((p) => p.kind === "report" && typeof p.percentage === "number"));
            assert.equal(t.pair.progress.at(-1)!.kind, "end");
            const model = await t.host.acquire("completion");
            assert.equal(await t.host.acquire("chat"), model);
            const r = await model.openSession("completion").generate(PROMPT, { maxTokens: 5, grammar: { kind: "gbnf", text: 'root ::= "ok"' } });
            assert.equal(r.text, "ok");
        } finally {
            await t.dispose();
        }
    });

    test("a bad path gives an error status without throwing, and is not retried until something changes", async () => {
        const t = await setup({ model: "/nonexistent/glm4/model.gguf" });
        try {
            const status = await t.host.reload();
            assert.equal(status.state, "error");
            assert.match(status.error!, /not found: \/nonexistent\/glm4\/model\.gguf/);
            await assert.rejects(t.host.acquire("chat"), (e) => kindOf(e) === "BadModel");
            const seen = t.statuses.length;
            await assert.rejects(t.host.acquire("completion"), (e) => kindOf(e) === "BadModel");
            assert.equal(t.statuses.length, seen, "no new load attempt");
            assert.ok(t.log.lines.some((l) => l.startsWith("error ") && l.includes("not found")));
        } finally {
            await t.dispose();
        }
    });

    test("settings changes reload (the newest wins); other settings do not", async () => {
        const t = await setup({ model: "/nonexistent/model.gguf" });
        try {
            assert.equal((await t.host.reload()).state, "error");
            const ready = nextStatus(t.host, (s) => s.state === "ready");
            t.update({ model: fixtureModelPath() });
            assert.equal((await ready).state, "ready");
            const old = await t.host.acquire("chat");
            const oldSession = old.openSession("chat");

            const ready2 = nextStatus(t.host, (s) => s.state === "ready");
            t.update({ contextSize: 512 });
            t.update({ contextSize: 1024 }); // cancels the load of 512 before it starts
            assert.equal((await ready2).contextSize, 1024);
            assert.ok(!t.statuses.some((s) => s.state === "ready" && s.contextSize === 512));
            const model = await t.host.acquire("chat");
            assert.notEqual(model, old);
            assert.equal(model.info.contextSize, 1024);
            await assert.rejects(oldSession.generate(PROMPT, { maxTokens: 2 }), (e) => kindOf(e) === "ModelNotLoaded");

            const seen = t.statuses.length;
            t.update({ completion: { ...DEFAULT_SETTINGS.completion, maxTokens: 7 }, chat: { ...DEFAULT_SETTINGS.chat, temperature: 0.5 } });
            assert.equal(await t.host.acquire("chat"), model);
            assert.equal(t.statuses.length, seen);
        } finally {
            await t.dispose();
        }
    });

    test("unloads after idleUnloadMinutes and loads again on acquire", async () => {
        const t = await setup({ idleUnloadMinutes: 0.002 }); // 120 ms
        try {
            const unloaded = nextStatus(t.host, (s) => s.state === "unloaded");
            assert.equal((await t.host.reload()).state, "ready");
            const first = await t.host.acquire("chat");
            assert.equal((await unloaded).modelName, "glm4-tiny-random");
            assert.ok(t.log.lines.some((l) => l.includes("unloaded after")));
            const again = await t.host.acquire("chat");
            assert.notEqual(again, first);
            assert.equal(t.host.status.state, "ready");
            const r = await again.openSession("chat").generate(PROMPT, { maxTokens: 5, grammar: { kind: "gbnf", text: 'root ::= "back"' } });
            assert.equal(r.text, "back");
        } finally {
            await t.dispose();
        }
    });

    test("acquire waits for a load in progress; an aborted acquire rejects with RequestCancelled", async () => {
        const t = await setup();
        try {
            const model = await t.host.acquire("chat"); // loads on demand
            assert.equal(t.host.status.state, "ready");
            assert.ok(model.info.contextSize > 0);
            const reloading = t.host.reload();
            const ac = new AbortController();
            const waiting = t.host.acquire("chat", ac.signal);
            ac.abort();
            await assert.rejects(waiting, (e) => e instanceof ResponseError && e.code === LSPErrorCodes.RequestCancelled);
            const waited = await t.host.acquire("completion");
            assert.equal((await reloading).state, "ready");
            assert.notEqual(waited, model);
        } finally {
            await t.dispose();
        }
    });

    test("no model configured, or an engine that is not available: typed rejections, no crash", async () => {
        const t = await setup({ model: "" });
        try {
            const status = await t.host.reload();
            assert.equal(status.state, "idle");
            assert.match(status.error!, /set glm4\.model/);
            await assert.rejects(t.host.acquire("chat"), (e) => kindOf(e) === "ModelNotLoaded");
            const failed = nextStatus(t.host, (s) => s.state === "error");
            t.update({ engine: "openai-compatible", serverUrl: "http://127.0.0.1:9/v1" });
            assert.match((await failed).error!, /Cannot reach the OpenAI-compatible server at http:\/\/127\.0\.0\.1:9\/v1/); // engine wired by the planner helper
            await assert.rejects(t.host.acquire("chat"), (e) => kindOf(e) === "ModelNotLoaded");
        } finally {
            await t.dispose();
        }
    });
});

describe("modelHost memory step-down", () => {
    test("fallback plans: configured, fewer GPU layers, a context that fits, CPU", () => {
        assert.deepEqual(memoryFallbackPlans(61, 32768), [
            { gpuLayers: 61, contextSize: 32768 }, { gpuLayers: "auto", contextSize: 32768 },
            { gpuLayers: "auto", contextSize: "auto" }, { gpuLayers: 0, contextSize: "auto" },
        ]);
        assert.deepEqual(memoryFallbackPlans("auto", "auto"), [{ gpuLayers: "auto", contextSize: "auto" }, { gpuLayers: 0, contextSize: "auto" }]);
        assert.deepEqual(memoryFallbackPlans(0, 8192), [{ gpuLayers: 0, contextSize: 8192 }, { gpuLayers: 0, contextSize: "auto" }]);
    });

    test("a context that does not fit the engine's RAM cap steps down to one that does, said once", async () => {
        const llama = await getSharedLlama();
        const t = await setup({ gpuLayers: 0, contextSize: 1_000_000 });
        await llama.setRamCap(64 * 2 ** 20);
        try {
            const status = await t.host.reload();
            assert.equal(status.state, "ready");
            assert.ok(status.contextSize! <= 4096, `contextSize ${status.contextSize}`);
            assert.match(status.device!, /not enough memory for CPU only and a 1000000-token context; loaded with CPU only and the largest context that fits/);
            assert.equal(t.log.lines.filter((l) => l.startsWith("warn Model: not enough memory")).length, 1);
        } finally {
            await llama.setRamCap(null);
            await t.dispose();
        }
    });

    test("an out-of-memory first attempt steps down to fewer GPU layers; exhausting every plan is an OutOfMemory error", async () => {
        const { InsufficientMemoryError } = await loadNodeLlamaCpp();
        const attempts: LoadPlan[] = [];
        const t = await setup({ gpuLayers: 2, contextSize: 2048 }, {
            local: { beforeAttempt: (plan, i) => { attempts.push(plan); if (i === 0) throw new InsufficientMemoryError("simulated: out of VRAM"); } },
        });
        try {
            const status = await t.host.reload();
            assert.equal(status.state, "ready");
            assert.deepEqual(attempts, [{ gpuLayers: 2, contextSize: 2048 }, { gpuLayers: "auto", contextSize: 2048 }]);
            assert.match(status.device!, /not enough memory for 2 GPU layers and a 2048-token context; loaded with as many GPU layers as fit/);
        } finally {
            await t.dispose();
        }

        const t2 = await setup({ gpuLayers: 2, contextSize: 2048 }, {
            local: { beforeAttempt: () => { throw new InsufficientMemoryError("simulated: out of memory"); } },
        });
        try {
            const status = await t2.host.reload();
            assert.equal(status.state, "error");
            assert.match(status.error!, /Not enough memory to load .*even on the CPU/);
            await assert.rejects(t2.host.acquire("chat"), (e) => kindOf(e) === "OutOfMemory");
        } finally {
            await t2.dispose();
        }

        let tries = 0;
        const t3 = await setup({ gpuLayers: 2 }, { local: { beforeAttempt: () => { tries++; throw new Error("simulated: unknown tensor type"); } } });
        try {
            assert.equal((await t3.host.reload()).state, "error");
            assert.equal(tries, 1, "only memory errors step down");
            await assert.rejects(t3.host.acquire("chat"), (e) => kindOf(e) === "BadModel");
        } finally {
            await t3.dispose();
        }
    });
});

describe("modelHost: cancelling the load progress", () => {
    test("cancel during a real download stops it, keeps the partial file, stays stopped; reload resumes with a Range request", async () => {
        const { startHub } = await import("../support/hub");
        const fs = await import("node:fs");
        const tiny = fs.readFileSync(fixtureModelPath("tiny"));
        const hub = await startHub({
            repos: [{ user: "glm-test", repo: "GLM-tiny-GGUF", files: [{ path: "GLM-tiny-Q4_K_M.gguf", content: tiny }] }],
            slowChunk: 8_192,
        });
        const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), "glm4-cancel-"));
        const saved = process.env.GLM4_HF_ENDPOINT;
        process.env.GLM4_HF_ENDPOINT = hub.url;
        const pair = await startLspPair();
        const settings = new MutableSettingsStore({ ...DEFAULT_SETTINGS, model: "hf:glm-test/GLM-tiny-GGUF:Q4_K_M", threads: testThreads() });
        const host = createModelHost({ connection: pair.server, settings, log: memoryLogger(), storagePath });
        try {
            const downloading = nextStatus(host, (s) => s.state === "downloading" && (s.progress ?? 0) > 0);
            const loading = host.reload();
            await downloading;
            const begin = pair.progress.find((p) => p.kind === "begin");
            assert.equal(begin?.kind === "begin" && begin.cancellable, true, "the progress is cancellable");
            const { WorkDoneProgressCancelNotification } = await import("vscode-languageserver-protocol");
            await pair.client.sendNotification(WorkDoneProgressCancelNotification.type, { token: pair.createdTokens[0]! });
            const stopped = await loading;
            assert.equal(stopped.state, "error");
            assert.match(stopped.error!, /cancelled.*resumes: run "GLM-4: Reload Model"/);
            await assert.rejects(host.acquire("chat"), (e) => kindOf(e) === "ModelNotLoaded");
            const partials = fs.readdirSync(path.join(storagePath, "models")).filter((f) => f.endsWith(".partial"));
            assert.equal(partials.length, 1);
            const kept = fs.statSync(path.join(storagePath, "models", partials[0]!)).size;
            assert.ok(kept > 0 && kept < tiny.length, `partial file keeps ${kept} of ${tiny.length} bytes`);

            hub.options.slowChunk = undefined;
            const ready = await host.reload();
            assert.equal(ready.state, "ready");
            assert.equal(hub.fileRequests().at(-1)!.range, `bytes=${kept}-`);
            assert.ok((await host.acquire("chat")).info.contextSize > 0);
        } finally {
            await host.dispose();
            pair.dispose();
            await hub.close();
            if (saved === undefined) delete process.env.GLM4_HF_ENDPOINT;
            else process.env.GLM4_HF_ENDPOINT = saved;
            fs.rmSync(storagePath, { recursive: true, force: true });
        }
    });
});
