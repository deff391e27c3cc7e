/**
 * Downloads what a remote model setting names into the store and returns the local path:
 * - `hf:` URIs: a verified download from the hub (file name from the manifest, SHA-256 from the hub's API);
 *   reused without any network access once recorded in the store, so the extension works offline afterwards.
 * - http(s) URLs to a `.gguf`: downloaded once (size-checked; no hash is published for a bare URL).
 * Progress covers all parts of a split file; `onProgress(fraction, detail)`.
 */
import * as path from "node:path";
import * as fs from "node:fs/promises";
import { downloadFile, type FreeSpaceProbe } from "./downloader";
import { formatHfRef, parseHfUri } from "./hfUri";
import { hubEndpoint, hubHeaders, resolveHubFiles } from "./hub";
import { findDownloaded, isVerified, modelsDir, storedName, writeSidecar } from "./store";
import { acquireLock } from "./lock";

export interface FetchModelOptions {
    storagePath: string;
    signal?: AbortSignal;
    onProgress?(fraction: number, detail: string): void;
    /** Hub base URL (default: GLM4_HF_ENDPOINT / HF_ENDPOINT / https://huggingface.co). */
    endpoint?: string;
    /** Free-space probe (default `fs.statfs`). */
    freeSpace?: FreeSpaceProbe;
    /** Network retries per file (default 3). */
    retries?: number;
    /** How often to look whether another process finished the same download (default 1000 ms). */
    lockPollMs?: number;
}

const gb = (b: number): string => (b / 1e9).toFixed(2);

export async function fetchModel(uri: string, o: FetchModelOptions): Promise<string> {
    const ref = parseHfUri(uri);
    if (ref) {
        const canonical = formatHfRef(ref);
        const known = await findDownloaded(o.storagePath, canonical);
        if (known) return known;
        const files = await resolveHubFiles(ref, { endpoint: o.endpoint ?? hubEndpoint(), ...(o.signal ? { signal: o.signal } : {}) });
        const total = files.reduce((s, f) => s + Math.max(0, f.size), 0);
        let before = 0;
        const paths: string[] = [];
        for (const [i, f] of files.entries()) {
            const dest = path.join(modelsDir(o.storagePath), storedName(ref.user, f.path));
            paths.push(dest);
            await fs.mkdir(modelsDir(o.storagePath), { recursive: true });
            // another window (another server on the same storage) may be downloading this file: wait for it
            const lock = await acquireLock(`${dest}.lock`, {
                ...(o.signal ? { signal: o.signal } : {}), pollMs: o.lockPollMs ?? 1000,
                onWait: () => o.onProgress?.(total > 0 ? before / total : 0, "waiting for another window's download of this file"),
            });
            try {
                if (!(await isVerified(dest, f.sha256))) await download(dest, f, i);
            } finally {
                await lock.release();
            }
            before += Math.max(0, f.size);
        }
        o.onProgress?.(1, `${gb(total)} GB, SHA-256 verified`);
        return paths[0]!;

        async function download(dest: string, f: (typeof files)[number], i: number): Promise<void> {
            const partLabel = files.length > 1 ? ` (part ${i + 1} of ${files.length})` : "";
            const result = await downloadFile({
                url: f.url, dest, sha256: f.sha256, headers: hubHeaders(),
                ...(f.size >= 0 ? { size: f.size } : {}),
                ...(o.signal ? { signal: o.signal } : {}),
                ...(o.freeSpace ? { freeSpace: o.freeSpace } : {}),
                ...(o.retries !== undefined ? { retries: o.retries } : {}),
                onProgress: (p) => {
                    const done = before + p.bytes;
                    const what = p.phase === "downloading" ? `${gb(done)} / ${gb(total)} GB` : p.phase === "verifying" ? "verifying SHA-256" : `checking the partial download (${gb(p.bytes)} GB)`;
                    o.onProgress?.(total > 0 ? Math.min(1, done / total) : 0, what + partLabel);
                },
            });
            await writeSidecar(dest, {
                uri: canonical, url: f.url, sha256: result.sha256, bytes: result.bytes, downloadedAt: new Date().toISOString(),
                ...(files.length > 1 ? { part: i + 1, parts: files.length } : {}),
            });
        }
    }

    const url = new URL(uri.trim());
    const name = decodeURIComponent(url.pathname.split("/").pop() || "model.gguf");
    const dest = path.join(modelsDir(o.storagePath), `url_${name.replace(/[^A-Za-z0-9._-]+/g, "_")}`);
    const known = await isVerified(dest);
    if (known && known.uri === url.href) return dest;
    await fs.mkdir(modelsDir(o.storagePath), { recursive: true });
    const result = await downloadFile({
        url: url.href, dest,
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.freeSpace ? { freeSpace: o.freeSpace } : {}),
        ...(o.retries !== undefined ? { retries: o.retries } : {}),
        onProgress: (p) => o.onProgress?.(p.total ? Math.min(1, p.bytes / p.total) : 0, p.phase === "downloading" ? `${gb(p.bytes)} / ${p.total ? gb(p.total) : "?"} GB` : p.phase),
    });
    await writeSidecar(dest, { uri: url.href, url: url.href, sha256: result.sha256, bytes: result.bytes, downloadedAt: new Date().toISOString() });
    return dest;
}
