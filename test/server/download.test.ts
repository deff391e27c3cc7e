/**
 * Verified, resumable model downloads against a local hub imitation serving the tiny GLM-4 GGUF: success and
 * offline reuse, interrupted-then-resumed (a later call and retries within one call), abort keeps the partial
 * file, one flipped byte and a truncated file are rejected and deleted, a full disk is refused before any
 * byte is fetched, tag resolution by manifest and by file name, the tree API fallback, split files, the store
 * listing and deletion.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fixtureModelPath } from "../support/models";
import { startHub, sha256, type HubOptions, type TestHub } from "../support/hub";
import { fetchModel } from "../../server/model/download/fetchModel";
import { deleteStoredModel, listStoredModels, modelsDir, readSidecar } from "../../server/model/download/store";
import { DownloadError } from "../../server/model/download/downloader";
import { parseHfUri, splitParts } from "../../server/model/download/hfUri";

const URI = "hf:glm-test/GLM-tiny-GGUF:Q4_K_M";
const FILE = "GLM-tiny-Q4_K_M.gguf";
let tiny: Buffer;
const dirs: string[] = [];
const hubs: TestHub[] = [];

before(() => { tiny = fs.readFileSync(fixtureModelPath("tiny")); });
after(async () => {
    await Promise.all(hubs.map((h) => h.close()));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function storage(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "glm4-dl-"));
    dirs.push(d);
    return d;
}

async function hub(extra: Partial<HubOptions> = {}, served?: Buffer, files?: HubOptions["repos"][number]["files"]): Promise<TestHub> {
    const h = await startHub({
        repos: [{ user: "glm-test", repo: "GLM-tiny-GGUF", files: files ?? [
            { path: "GLM-tiny-Q8_0.gguf", content: Buffer.from("another file") },
            { path: FILE, content: tiny, ...(served ? { served } : {}) },
        ] }],
        ...extra,
    });
    hubs.push(h);
    return h;
}

test("hf: URIs parse the way node-llama-cpp reads them", () => {
    assert.deepEqual(parseHfUri("hf:bartowski/THUDM_GLM-4-32B-0414-GGUF:q4_k_m"), { kind: "tag", user: "bartowski", repo: "THUDM_GLM-4-32B-0414-GGUF", tag: "Q4_K_M" });
    assert.deepEqual(parseHfUri("hf://user/repo"), { kind: "tag", user: "user", repo: "repo", tag: "latest" });
    assert.deepEqual(parseHfUri("hf:user/repo/sub/x.gguf#dev"), { kind: "file", user: "user", repo: "repo", file: "sub/x.gguf", branch: "dev" });
    assert.equal(parseHfUri("/models/x.gguf"), undefined);
    assert.deepEqual(splitParts("m-Q8_0-00001-of-00002.gguf"), ["m-Q8_0-00001-of-00002.gguf", "m-Q8_0-00002-of-00002.gguf"]);
});

test("success: the manifest names the file, the hub's SHA-256 verifies it, progress reaches 1, later calls stay offline", async () => {
    const h = await hub();
    const s = storage();
    const fractions: number[] = [];
    const file = await fetchModel(URI, { storagePath: s, endpoint: h.url, onProgress: (f) => fractions.push(f) });
    assert.equal(path.dirname(file), modelsDir(s));
    assert.ok(fs.readFileSync(file).equals(tiny));
    assert.equal(fractions.at(-1), 1);
    assert.ok(fractions.every((f, i) => i === 0 || f >= fractions[i - 1]!));
    assert.ok(h.requests.some((r) => r.path.startsWith("/v2/glm-test/GLM-tiny-GGUF/manifests/Q4_K_M") && r.userAgent === "llama-cpp"));
    const side = await readSidecar(file);
    assert.equal(side?.sha256, sha256(tiny));
    assert.equal(side?.uri, URI);
    assert.ok(!fs.existsSync(`${file}.partial`));
    assert.equal(fs.readFileSync(file).subarray(0, 4).toString("latin1"), "GGUF");

    const before = h.requests.length;
    assert.equal(await fetchModel(URI, { storagePath: s, endpoint: "http://127.0.0.1:9" }), file);
    assert.equal(h.requests.length, before, "no network access once downloaded");
});

test("interrupted, then resumed with an HTTP Range request by a later call", async () => {
    const h = await hub({ interruptAfter: 100_000, interruptCount: 1 });
    const s = storage();
    await assert.rejects(fetchModel(URI, { storagePath: s, endpoint: h.url, retries: 0 }), (e: unknown) => e instanceof DownloadError && e.failure === "network");
    const partial = path.join(modelsDir(s), `hf_glm-test_${FILE}.partial`);
    assert.equal(fs.statSync(partial).size, 100_000);
    const file = await fetchModel(URI, { storagePath: s, endpoint: h.url, retries: 0 });
    assert.ok(fs.readFileSync(file).equals(tiny));
    const files = h.fileRequests();
    assert.equal(files.length, 2);
    assert.equal(files[0]!.range, undefined);
    assert.equal(files[1]!.range, "bytes=100000-");
    assert.equal((await readSidecar(file))?.sha256, sha256(tiny));
});

test("retries within one call resume where the file ends", async () => {
    const h = await hub({ interruptAfter: 60_000, interruptCount: 2 });
    const s = storage();
    const file = await fetchModel(URI, { storagePath: s, endpoint: h.url, retries: 3 });
    assert.ok(fs.readFileSync(file).equals(tiny));
    assert.deepEqual(h.fileRequests().map((r) => r.range), [undefined, "bytes=60000-", "bytes=120000-"]);
});

test("a server that ignores the range restarts the file from the beginning (and still verifies)", async () => {
    const h = await hub({ interruptAfter: 50_000, interruptCount: 1, ignoreRanges: true });
    const s = storage();
    const file = await fetchModel(URI, { storagePath: s, endpoint: h.url });
    assert.ok(fs.readFileSync(file).equals(tiny));
});

test("abort keeps the partial file and rejects with the signal's reason; the next call resumes", async () => {
    const h = await hub({ slowChunk: 16_384 });
    const s = storage();
    const controller = new AbortController();
    const reason = new Error("user cancelled");
    const p = fetchModel(URI, { storagePath: s, endpoint: h.url, signal: controller.signal, onProgress: (f) => { if (f > 0.2) controller.abort(reason); } });
    await assert.rejects(p, (e: unknown) => e === reason);
    const partial = path.join(modelsDir(s), `hf_glm-test_${FILE}.partial`);
    const kept = fs.statSync(partial).size;
    assert.ok(kept > 0 && kept < tiny.length);
    h.options.slowChunk = undefined;
    const file = await fetchModel(URI, { storagePath: s, endpoint: h.url });
    assert.ok(fs.readFileSync(file).equals(tiny));
    assert.equal(h.fileRequests().at(-1)!.range, `bytes=${kept}-`);
});

test("one flipped byte: rejected by the SHA-256 check, the partial file deleted, nothing left to load", async () => {
    const bad = Buffer.from(tiny);
    bad[Math.floor(bad.length / 2)]! ^= 0x01;
    const h = await hub({}, bad);
    const s = storage();
    await assert.rejects(fetchModel(URI, { storagePath: s, endpoint: h.url }), (e: unknown) =>
        e instanceof DownloadError && e.failure === "hash-mismatch" && /SHA-256 mismatch/.test(e.message) && /partial file was deleted/.test(e.message));
    assert.deepEqual(fs.readdirSync(modelsDir(s)), []);
});

test("a truncated file: rejected by the size check and deleted", async () => {
    const h = await hub({}, tiny.subarray(0, Math.floor(tiny.length / 2)));
    const s = storage();
    await assert.rejects(fetchModel(URI, { storagePath: s, endpoint: h.url }), (e: unknown) => e instanceof DownloadError && e.failure === "size-mismatch");
    assert.deepEqual(fs.readdirSync(modelsDir(s)), []);
});

test("a full disk is refused before any byte is fetched", async () => {
    const h = await hub();
    const s = storage();
    const probed: string[] = [];
    await assert.rejects(
        fetchModel(URI, { storagePath: s, endpoint: h.url, freeSpace: async (dir) => { probed.push(dir); return 1000; } }),
        (e: unknown) => e instanceof DownloadError && e.failure === "disk-full" && /not enough disk space/.test(e.message),
    );
    assert.deepEqual(probed, [modelsDir(s)]);
    assert.equal(h.fileRequests().length, 0);
});

test("without the manifest route the tag picks the file by name; without the blobs API the tree API gives the hash", async () => {
    const h = await hub({ noManifest: true, noBlobsApi: true });
    const s = storage();
    const file = await fetchModel(URI, { storagePath: s, endpoint: h.url });
    assert.ok(fs.readFileSync(file).equals(tiny));
    assert.ok(h.requests.some((r) => r.path.includes("/tree/main")));
});

test("an unknown quantization or repository is a clear error", async () => {
    const h = await hub();
    const s = storage();
    await assert.rejects(fetchModel("hf:glm-test/GLM-tiny-GGUF:Q2_K", { storagePath: s, endpoint: h.url }), /has no Q2_K file/);
    await assert.rejects(fetchModel("hf:glm-test/nothing:Q4_K_M", { storagePath: s, endpoint: h.url }), /does not exist/);
});

test("split files: every part downloaded and verified, the first part returned", async () => {
    const a = tiny.subarray(0, 200_000), b = tiny.subarray(200_000);
    const h = await hub({}, undefined, [
        { path: "GLM-tiny-Q4_K_M-00001-of-00002.gguf", content: Buffer.from(a) },
        { path: "GLM-tiny-Q4_K_M-00002-of-00002.gguf", content: Buffer.from(b) },
    ]);
    const s = storage();
    const file = await fetchModel(URI, { storagePath: s, endpoint: h.url });
    assert.match(file, /-00001-of-00002\.gguf$/);
    assert.ok(fs.readFileSync(file.replace("00001-of", "00002-of")).equals(b));
    assert.equal((await readSidecar(file))?.parts, 2);
});

test("the store lists complete and partial downloads and deletes only inside itself", async () => {
    const h = await hub({ interruptAfter: 10_000, interruptCount: 1 });
    const s = storage();
    const file = await fetchModel(URI, { storagePath: s, endpoint: h.url });
    fs.writeFileSync(path.join(modelsDir(s), "hf_x_other.gguf.partial"), Buffer.alloc(10));
    const list = await listStoredModels(s, file);
    assert.deepEqual(list.map((m) => [m.fileName, m.partial, m.inUse]), [[`hf_glm-test_${FILE}`, false, true], ["hf_x_other.gguf.partial", true, false]]);
    assert.equal(list[0]!.uri, URI);
    assert.equal(list[0]!.sha256, sha256(tiny));
    await assert.rejects(deleteStoredModel(s, path.join(s, "..", "elsewhere.gguf")), RangeError);
    const freed = await deleteStoredModel(s, file);
    assert.ok(freed >= tiny.length);
    assert.ok(!fs.existsSync(file) && !fs.existsSync(`${file}.json`));
    assert.equal((await listStoredModels(s)).length, 1);
});

test("resolveModelPath: the hub base URL from GLM4_HF_ENDPOINT; failures are DownloadFailed errors; local paths pass through", async () => {
    const { resolveModelPath } = await import("../../server/model/download/resolve");
    const h = await hub();
    const s = storage();
    const saved = process.env.GLM4_HF_ENDPOINT;
    process.env.GLM4_HF_ENDPOINT = h.url;
    try {
        const details: string[] = [];
        const file = await resolveModelPath(URI, { storagePath: s, onProgress: (_f, d) => details.push(d) });
        assert.ok(fs.readFileSync(file).equals(tiny));
        assert.match(details.at(-1)!, /SHA-256 verified/);
        await assert.rejects(resolveModelPath("hf:glm-test/GLM-tiny-GGUF:Q5_K_M", { storagePath: s }), (e: unknown) => {
            const data = (e as { data?: { kind?: string } }).data;
            return data?.kind === "DownloadFailed" && /has no Q5_K_M file/.test((e as Error).message);
        });
    } finally {
        if (saved === undefined) delete process.env.GLM4_HF_ENDPOINT;
        else process.env.GLM4_HF_ENDPOINT = saved;
    }
    assert.equal(await resolveModelPath(fixtureModelPath("tiny"), { storagePath: s }), fixtureModelPath("tiny"));
});

test("two servers on the same storage (two windows) download a file once: the second waits for the first", async () => {
    const h = await hub({ slowChunk: 32_768 });
    const s = storage();
    const waits: string[] = [];
    const onProgress = (_f: number, d: string): void => { if (/waiting for another window/.test(d)) waits.push(d); };
    const [a, b] = await Promise.all([
        fetchModel(URI, { storagePath: s, endpoint: h.url, lockPollMs: 20, onProgress }),
        fetchModel(URI, { storagePath: s, endpoint: h.url, lockPollMs: 20, onProgress }),
    ]);
    assert.equal(a, b);
    assert.ok(fs.readFileSync(a).equals(tiny));
    assert.equal(h.fileRequests().length, 1, "one download");
    assert.equal(waits.length, 1, "one of them waited");
    assert.deepEqual(fs.readdirSync(modelsDir(s)).sort(), [`hf_glm-test_${FILE}`, `hf_glm-test_${FILE}.json`]);
});
