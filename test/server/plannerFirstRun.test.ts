/**
 * Zero-setup first run through the real model host: with the pristine default settings the planner reads the
 * machine (described here), picks the model, the download comes from the hub imitation (serving the tiny
 * model under the real repository names) and the reason shows in the status. Settings a person chose are
 * loaded as set.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { LspHarness, type SettingsInput } from "../support/lspHarness";
import { fixtureModelPath, testThreads } from "../support/models";
import { startHub, type TestHub } from "../support/hub";
import { createModelHost } from "../../server/model/modelHost";
import { listStoredModels } from "../../server/model/download/store";
import { GiB } from "../../server/planner/calculator";
import type { MachineInfo } from "../../server/planner/chooser";
import { PlannerFeature } from "../../server/planner/feature";
import { ChooseModelRequest } from "../../server/protocol/planner";

const CPU_ONLY: MachineInfo = { gpuType: false, gpuNames: [], vramTotal: 0, vramFree: 0, unifiedMemory: 0, ramTotal: 32 * GiB, ramFree: 24 * GiB, cpuCores: 2 };
const RTX4090: MachineInfo = { ...CPU_ONLY, gpuType: "cuda", gpuNames: ["NVIDIA GeForce RTX 4090"], vramTotal: 24 * GiB, vramFree: 23.3 * GiB };

let hub: TestHub;
before(async () => {
    const tiny = fs.readFileSync(fixtureModelPath("tiny"));
    hub = await startHub({ repos: [
        { user: "bartowski", repo: "THUDM_GLM-4-32B-0414-GGUF", files: [{ path: "THUDM_GLM-4-32B-0414-Q4_K_M.gguf", content: tiny }] },
        { user: "bartowski", repo: "THUDM_GLM-4-9B-0414-GGUF", files: [{ path: "THUDM_GLM-4-9B-0414-Q4_K_M.gguf", content: tiny }] },
    ] });
    process.env.GLM4_HF_ENDPOINT = hub.url;
});
after(async () => {
    await hub?.close();
    delete process.env.GLM4_HF_ENDPOINT;
});

async function run(machine: MachineInfo, settings: SettingsInput) {
    const h = await LspHarness.start({
        settings: { threads: testThreads(), ...settings },
        // the tiny model runs on the CPU whatever the described machine has
        server: { models: (ctx) => createModelHost(ctx, { local: { gpu: false, probe: async () => machine } }), features: () => [new PlannerFeature({ probe: async () => machine })] },
    });
    const status = await h.waitForModel();
    const stored = await listStoredModels(h.storagePath);
    return { h, status, stored };
}

test("no GPU: the pristine defaults load GLM-4-9B instead of the 32B, and the status says why", async () => {
    const { h, status, stored } = await run(CPU_ONLY, {});
    try {
        assert.equal(status.state, "ready", status.error);
        assert.match(status.device ?? "", /No GPU was found, so GLM-4-9B-0414 Q4_K_M runs on the CPU/);
        assert.equal(status.contextSize, 8192, "the planned context");
        assert.deepEqual(stored.map((m) => m.uri), ["hf:bartowski/THUDM_GLM-4-9B-0414-GGUF:Q4_K_M"]);
        assert.ok(hub.requests.some((r) => r.path.includes("/THUDM_GLM-4-9B-0414-GGUF/")));
        assert.ok(!hub.requests.some((r) => r.path.includes("/THUDM_GLM-4-32B-0414-GGUF/resolve/")));
        const c = await h.request(ChooseModelRequest.type, undefined);
        assert.equal(c.firstRun?.uri, "hf:bartowski/THUDM_GLM-4-9B-0414-GGUF:Q4_K_M", "the client shows this record's reason once");
        assert.equal(c.firstRun?.contextSize, status.contextSize);
    } finally {
        await h.dispose();
    }
});

test("a 24 GB GPU: the default 32B stays, with the planner's one-sentence reason", async () => {
    const { h, status, stored } = await run(RTX4090, {});
    try {
        assert.equal(status.state, "ready", status.error);
        const m = /GLM-4-32B-0414 Q4_K_M with a (\d+)K context fits fully in the 23\.3 GiB free on your NVIDIA GeForce RTX 4090/.exec(status.device ?? "");
        assert.ok(m, status.device);
        assert.equal(status.contextSize, Number(m[1]) * 1024, "the context the reason names");
        assert.deepEqual(stored.map((m) => m.uri), ["hf:bartowski/THUDM_GLM-4-32B-0414-GGUF:Q4_K_M"]);
    } finally {
        await h.dispose();
    }
});

test("settings a person chose are loaded as set, without planning", async () => {
    const { h, status, stored } = await run(CPU_ONLY, { contextSize: 2048 });
    try {
        assert.equal(status.state, "ready", status.error);
        assert.doesNotMatch(status.device ?? "", /No GPU was found/);
        assert.equal(status.contextSize, 2048);
        assert.equal((await h.request(ChooseModelRequest.type, undefined)).firstRun, undefined);
        assert.deepEqual(stored.map((m) => m.uri), ["hf:bartowski/THUDM_GLM-4-32B-0414-GGUF:Q4_K_M"]);
    } finally {
        await h.dispose();
    }
});
