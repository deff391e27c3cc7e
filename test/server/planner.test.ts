/**
 * The planner over LSP (real server, in-memory connection): requirements table (catalog, a local GGUF, a remote
 * GGUF header read by HTTP ranges from the hub imitation), the chooser, and the model store's list/delete with
 * typed errors. The machine is described (an RTX 4090) so the results do not depend on this computer.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LspHarness } from "../support/lspHarness";
import { fixtureModelPath, testThreads } from "../support/models";
import { startHub, type TestHub } from "../support/hub";
import { PlannerFeature } from "../../server/planner/feature";
import { ChooseModelRequest, DeleteModelRequest, ListModelsRequest, RequirementsRequest } from "../../server/protocol/planner";
import { fetchModel } from "../../server/model/download/fetchModel";
import { GiB } from "../../server/planner/calculator";
import type { MachineInfo } from "../../server/planner/chooser";

const RTX4090: MachineInfo = {
    gpuType: "cuda", gpuNames: ["NVIDIA GeForce RTX 4090"], vramTotal: 24 * GiB, vramFree: 23.3 * GiB, unifiedMemory: 0,
    ramTotal: 64 * GiB, ramFree: 48 * GiB, cpuCores: 16,
};

let h: LspHarness;
let hub: TestHub;
let tiny: Buffer;

before(async () => {
    tiny = fs.readFileSync(fixtureModelPath("tiny"));
    hub = await startHub({ repos: [{ user: "glm-test", repo: "GLM-tiny-GGUF", files: [{ path: "GLM-tiny-Q4_K_M.gguf", content: tiny }] }] });
    process.env.GLM4_HF_ENDPOINT = hub.url;
    h = await LspHarness.start({
        settings: { model: fixtureModelPath("tiny"), threads: testThreads(), gpuLayers: 0 },
        server: { features: () => [new PlannerFeature({ probe: async () => RTX4090 })] },
    });
});
after(async () => {
    await h?.dispose();
    await hub?.close();
    delete process.env.GLM4_HF_ENDPOINT;
});

const kind = (e: unknown): string | undefined => (e as { data?: { kind?: string } }).data?.kind;

test("requirements: the GLM-4 catalog x contexts, the recommended row for the detected GPU, GPU classes", async () => {
    const r = await h.request(RequirementsRequest.type, {});
    assert.equal(r.rows.length, 22);
    assert.deepEqual(r.contexts, [4096, 8192, 16384, 32768, 65536, 131072]);
    assert.equal(r.engineContexts, 2);
    assert.deepEqual(r.detected.names, ["NVIDIA GeForce RTX 4090"]);
    const rec = r.rows.filter((x) => x.recommended);
    assert.equal(rec.length, 1);
    assert.equal(rec[0]!.uri, "hf:bartowski/THUDM_GLM-4-32B-0414-GGUF:Q4_K_M");
    assert.ok(r.recommended && r.recommended.explanation.includes("RTX 4090"));
    const cell = rec[0]!.cells[r.contexts.indexOf(r.recommended.contextSize)]!;
    assert.equal(cell.fitsDetected, true);
    assert.equal(r.classes.length, 6);
    assert.ok(r.notes.some((n) => /2 contexts/.test(n) || /counted 2 times/.test(n)));
});

test("requirements of a local GGUF: one row read from its header", async () => {
    const r = await h.request(RequirementsRequest.type, { gguf: fixtureModelPath("tiny"), contexts: [1024, 4096], kvCacheType: "f16" });
    assert.equal(r.rows.length, 1);
    assert.equal(r.rows[0]!.sizeSource, "file");
    assert.equal(r.rows[0]!.quant, "F32");
    assert.equal(r.rows[0]!.fileBytes, tiny.length);
    assert.equal(r.nativeContext, 4096);
    assert.equal(r.rows[0]!.cells.length, 2);
    assert.equal(r.recommended, undefined);
});

test("requirements of an hf: URI: only the header is fetched, by HTTP ranges", async () => {
    const before = hub.fileRequests().length;
    const r = await h.request(RequirementsRequest.type, { gguf: "hf:glm-test/GLM-tiny-GGUF:Q4_K_M", contexts: [2048] });
    assert.equal(r.rows[0]!.fileBytes, tiny.length);
    const reads = hub.fileRequests().slice(before);
    assert.ok(reads.length > 0 && reads.every((q) => q.range !== undefined), JSON.stringify(reads));
});

test("bad parameters and unreadable models answer typed errors", async () => {
    await assert.rejects(h.request(RequirementsRequest.type, { contexts: [100] }), (e: unknown) => kind(e) === "InvalidParams");
    await assert.rejects(h.request(RequirementsRequest.type, { kvCacheType: "q4" as "f16" }), (e: unknown) => kind(e) === "InvalidParams");
    const junk = path.join(h.storagePath, "junk.gguf");
    fs.mkdirSync(h.storagePath, { recursive: true });
    fs.writeFileSync(junk, "not a gguf");
    await assert.rejects(h.request(RequirementsRequest.type, { gguf: junk }), (e: unknown) => kind(e) === "BadModel");
    await assert.rejects(h.request(RequirementsRequest.type, { gguf: "hf:glm-test/GLM-tiny-GGUF:IQ1_S" }), (e: unknown) => kind(e) === "DownloadFailed");
});

test("choose: the recommendation with its settings, one-sentence explanation and other options", async () => {
    const c = await h.request(ChooseModelRequest.type, undefined);
    assert.equal(c.recommended.settings.model, "hf:bartowski/THUDM_GLM-4-32B-0414-GGUF:Q4_K_M");
    assert.equal(c.recommended.settings.gpuLayers, 62);
    assert.ok([16384, 32768].includes(c.recommended.settings.contextSize));
    assert.match(c.explanation, /fits fully/);
    assert.ok(c.options.length >= 4);
    assert.ok(c.options.some((o) => o.settings.model.includes("9B")));
    assert.ok(c.options.every((o) => o.settings.model !== c.recommended.settings.model));
});

test("models: list shows downloads and marks the one in use; delete frees it; in-use and outside paths are refused", async () => {
    const file = await fetchModel("hf:glm-test/GLM-tiny-GGUF:Q4_K_M", { storagePath: h.storagePath, endpoint: hub.url });
    let list = await h.request(ListModelsRequest.type, undefined);
    assert.equal(list.storagePath, h.storagePath);
    assert.equal(list.models.length, 1);
    assert.equal(list.models[0]!.uri, "hf:glm-test/GLM-tiny-GGUF:Q4_K_M");
    assert.equal(list.models[0]!.inUse, false);
    assert.ok((list.freeDiskBytes ?? 0) > 0);

    await h.updateSettings({ model: file });
    await new Promise((r) => setTimeout(r, 200));
    list = await h.request(ListModelsRequest.type, undefined);
    assert.equal(list.models[0]!.inUse, true);
    await assert.rejects(h.request(DeleteModelRequest.type, { path: file }), (e: unknown) => kind(e) === "Busy");
    await assert.rejects(h.request(DeleteModelRequest.type, { path: fixtureModelPath("tiny") }), (e: unknown) => kind(e) === "InvalidParams");

    await h.updateSettings({ model: fixtureModelPath("tiny") });
    await new Promise((r) => setTimeout(r, 200));
    const del = await h.request(DeleteModelRequest.type, { path: file });
    assert.equal(del.deleted, true);
    assert.ok(del.freedBytes >= tiny.length);
    assert.equal((await h.request(ListModelsRequest.type, undefined)).models.length, 0);
});

test("planning counts the VRAM the loaded model holds as free (a new choice replaces it)", async () => {
    const feature = new PlannerFeature({ probe: async () => ({ ...RTX4090, vramFree: 2 * GiB }) });
    const fake = (device: string) => ({
        models: { status: { state: "ready", device, contextSize: 4096 } },
        settings: { get: () => ({ engine: "local", model: fixtureModelPath("tiny") }) },
        storagePath: h.storagePath,
        log: { debug: () => undefined },
    }) as unknown as Parameters<PlannerFeature["machine"]>[0];
    const onGpu = await feature.machine(fake("CUDA, 3/3 layers on NVIDIA GeForce RTX 4090, 4096 context"));
    assert.ok(onGpu.heldByModel && onGpu.heldByModel > 0);
    assert.equal(onGpu.vramFree, 2 * GiB + onGpu.heldByModel);
    const onCpu = await feature.machine(fake("CPU, 2 threads, 4096 context"));
    assert.equal(onCpu.vramFree, 2 * GiB);
    assert.equal(onCpu.heldByModel, undefined);
});
