/**
 * One verified, resumable file download.
 *
 * - Bytes go to `<dest>.partial`; an existing partial file is resumed with an HTTP Range request (its bytes
 *   are hashed first, so the SHA-256 covers the whole file); a server that ignores the range restarts it.
 * - Free disk space is checked before anything is fetched (`fs.statfs`, injectable for tests).
 * - Network errors mid-stream retry from where the file ends (`retries`); an abort keeps the partial file for
 *   a later resume and rejects with the signal's reason.
 * - At the end the size and the SHA-256 are checked against what the hub published; a mismatch deletes the
 *   partial file and rejects saying so. Only a verified file is renamed to `dest`: nothing unverified is ever
 *   at the path the engine loads.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";

export type DownloadFailure = "disk-full" | "hash-mismatch" | "size-mismatch" | "http" | "network";

export class DownloadError extends Error {
    constructor(readonly failure: DownloadFailure, message: string) {
        super(message);
        this.name = "DownloadError";
    }
}

export type FreeSpaceProbe = (dir: string) => Promise<number>;

export const statfsFreeSpace: FreeSpaceProbe = async (dir) => {
    const s = await fs.statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
};

export interface DownloadProgress {
    phase: "checking" | "downloading" | "verifying";
    /** Bytes of the file on disk so far. */
    bytes: number;
    total: number | undefined;
}

export interface DownloadOptions {
    url: string;
    dest: string;
    /** Published size; checked at the end and used for the disk-space check. */
    size?: number;
    /** Published lower-case hex SHA-256; without it the file is only size-checked. */
    sha256?: string;
    signal?: AbortSignal;
    headers?: Record<string, string>;
    onProgress?(p: DownloadProgress): void;
    freeSpace?: FreeSpaceProbe;
    /** Retries after a network error mid-stream (default 3). */
    retries?: number;
    /** Bytes to keep free beyond the file (default 64 MiB). */
    diskMargin?: number;
}

export interface DownloadResult { path: string; bytes: number; sha256: string; resumedFrom: number; requests: number }

const gb = (b: number): string => `${(b / 1e9).toFixed(2)} GB`;

async function sizeOf(p: string): Promise<number> {
    try {
        return (await fs.stat(p)).size;
    } catch {
        return 0;
    }
}

async function hashFile(file: string, hash: Hash, signal: AbortSignal | undefined, progress: (bytes: number) => void): Promise<number> {
    let n = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) })) {
        hash.update(chunk as Buffer);
        n += (chunk as Buffer).length;
        progress(n);
    }
    return n;
}

export async function downloadFile(o: DownloadOptions): Promise<DownloadResult> {
    const partial = `${o.dest}.partial`;
    const retries = o.retries ?? 3;
    const report = throttle(o.onProgress);
    await fs.mkdir(path.dirname(o.dest), { recursive: true });

    let hash = createHash("sha256");
    let offset = await sizeOf(partial);
    const resumedFrom = offset;
    if (o.size !== undefined && offset > o.size) {
        await fs.rm(partial, { force: true });
        offset = 0;
    }
    if (offset > 0) {
        const hashed = await hashFile(partial, hash, o.signal, (b) => report({ phase: "checking", bytes: b, total: o.size }));
        offset = hashed;
    }
    const needed = async (total: number | undefined): Promise<void> => {
        if (total === undefined) return;
        const free = await (o.freeSpace ?? statfsFreeSpace)(path.dirname(o.dest));
        const want = total - offset + (o.diskMargin ?? 64 * 1024 * 1024);
        if (free < want) {
            throw new DownloadError("disk-full", `not enough disk space in ${path.dirname(o.dest)}: ${gb(total - offset)} to download, ${gb(free)} free`);
        }
    };
    await needed(o.size);

    let requests = 0;
    let failures = 0;
    let restartedOnce = false;
    for (;;) {
        o.signal?.throwIfAborted();
        requests++;
        let res: Response;
        try {
            res = await fetch(o.url, {
                headers: { ...o.headers, ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}) },
                redirect: "follow",
                ...(o.signal ? { signal: o.signal } : {}),
            });
        } catch (e) {
            if (o.signal?.aborted) throw o.signal.reason;
            if (++failures > retries) throw new DownloadError("network", `download interrupted (${(e as Error).message}); run it again to resume`);
            await delay(200 * failures, o.signal);
            continue;
        }
        if (res.status === 416 && offset > 0) {
            await res.body?.cancel().catch(() => undefined);
            if (o.size !== undefined && offset === o.size) break; // the partial file is complete
            if (restartedOnce) throw new DownloadError("http", `the server refused the range request for ${o.url}`);
            restartedOnce = true;
            await fs.rm(partial, { force: true });
            offset = 0;
            hash = createHash("sha256");
            continue;
        }
        if (!res.ok || !res.body) {
            await res.body?.cancel().catch(() => undefined);
            throw new DownloadError("http", `the server answered HTTP ${res.status} for ${o.url}`);
        }
        if (offset > 0 && res.status !== 206) {
            // the range was ignored: start over
            await fs.rm(partial, { force: true });
            offset = 0;
            hash = createHash("sha256");
        }
        const length = Number(res.headers.get("content-length") ?? NaN);
        if (o.size === undefined && Number.isFinite(length)) await needed(offset + length);

        const file = await fs.open(partial, offset > 0 ? "a" : "w");
        let interrupted: unknown;
        try {
            for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
                await file.write(chunk);
                hash.update(chunk);
                offset += chunk.length;
                report({ phase: "downloading", bytes: offset, total: o.size ?? (Number.isFinite(length) ? offset + length : undefined) });
            }
        } catch (e) {
            interrupted = e;
        } finally {
            await file.close();
        }
        if (interrupted !== undefined) {
            if (o.signal?.aborted) throw o.signal.reason;
            if (++failures > retries) {
                throw new DownloadError("network", `download interrupted at ${gb(offset)} (${(interrupted as Error).message}); run it again to resume`);
            }
            await delay(200 * failures, o.signal);
            continue;
        }
        break;
    }

    report({ phase: "verifying", bytes: offset, total: o.size }, true);
    if (o.size !== undefined && offset !== o.size) {
        await fs.rm(partial, { force: true });
        throw new DownloadError("size-mismatch", `the downloaded file has ${offset} bytes, the hub says ${o.size} (truncated or changed); the partial file was deleted`);
    }
    const digest = hash.digest("hex");
    if (o.sha256 !== undefined && digest !== o.sha256.toLowerCase()) {
        await fs.rm(partial, { force: true });
        throw new DownloadError("hash-mismatch", `SHA-256 mismatch: the hub publishes ${o.sha256}, the download is ${digest}; the partial file was deleted`);
    }
    await fs.rename(partial, o.dest);
    return { path: o.dest, bytes: offset, sha256: digest, resumedFrom, requests };
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => { clearTimeout(t); reject(signal.reason); }, { once: true });
    });
}

/** At most one report per 100 ms (and always the final one). */
function throttle(fn: ((p: DownloadProgress) => void) | undefined): (p: DownloadProgress, force?: boolean) => void {
    let last = 0;
    return (p, force = false) => {
        if (!fn) return;
        const now = Date.now();
        if (!force && now - last < 100) return;
        last = now;
        fn(p);
    };
}
