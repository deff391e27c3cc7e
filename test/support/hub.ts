/**
 * A local imitation of the Hugging Face hub for download tests: the manifest route llama.cpp uses
 * (`/v2/{user}/{repo}/manifests/{tag}`), the API routes with published sizes and SHA-256s
 * (`/api/models/{user}/{repo}?blobs=true`, `/api/models/{user}/{repo}/tree/{branch}`) and the file route
 * (`/{user}/{repo}/resolve/{branch}/{path}`) with HTTP Range support. What it serves can differ from what it
 * publishes (a flipped byte, a truncated file), and it can cut the connection after some bytes.
 */
import * as http from "node:http";
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";

export interface HubFileSpec {
    /** Path in the repo, e.g. "GLM-tiny-Q4_K_M.gguf". */
    path: string;
    /** The true content: its size and SHA-256 are what the API publishes. */
    content: Buffer;
    /** What the file route actually serves (default: `content`). */
    served?: Buffer;
}

export interface HubRepoSpec { user: string; repo: string; files: HubFileSpec[] }

export interface HubRequest { method: string; path: string; range?: string; userAgent?: string }

export interface HubOptions {
    repos: HubRepoSpec[];
    /** Cut the connection after this many body bytes, for the first `interruptCount` file requests. */
    interruptAfter?: number;
    interruptCount?: number;
    /** Answer the blobs API with 404 (forces the tree API fallback). */
    noBlobsApi?: boolean;
    /** Answer the manifest route with 404 (forces picking the file by name). */
    noManifest?: boolean;
    /** Ignore Range headers (always 200 with the whole file). */
    ignoreRanges?: boolean;
    /** Send file bodies in chunks of this size with a pause between them (lets tests abort mid-download). */
    slowChunk?: number;
}

export interface TestHub {
    url: string;
    requests: HubRequest[];
    fileRequests(): HubRequest[];
    options: HubOptions;
    close(): Promise<void>;
}

export const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

export async function startHub(options: HubOptions): Promise<TestHub> {
    const requests: HubRequest[] = [];
    let interrupts = 0;
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://hub");
        const entry: HubRequest = { method: req.method ?? "GET", path: url.pathname + url.search };
        if (req.headers.range) entry.range = req.headers.range;
        if (req.headers["user-agent"]) entry.userAgent = req.headers["user-agent"];
        requests.push(entry);
        const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
        const json = (status: number, body: unknown): void => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify(body));
        };
        const repoOf = (user?: string, repo?: string): HubRepoSpec | undefined => options.repos.find((r) => r.user === user && r.repo === repo);

        if (parts[0] === "v2" && parts[3] === "manifests") {
            const repo = repoOf(parts[1], parts[2]);
            const tag = (parts[4] ?? "").toLowerCase();
            const file = repo?.files.find((f) => f.path.toLowerCase().includes(tag) && /\.gguf$/.test(f.path) && !/-0000[2-9]-of-/.test(f.path));
            if (options.noManifest || !repo || !file) return json(404, { error: "not found" });
            return json(200, { ggufFile: { rfilename: file.path, size: file.content.length } });
        }
        if (parts[0] === "api" && parts[1] === "models") {
            const repo = repoOf(parts[2], parts[3]);
            if (!repo) return json(404, { error: "Repository not found" });
            if (parts[4] === "tree") {
                return json(200, repo.files.map((f) => ({ type: "file", path: f.path, size: f.content.length, oid: "0".repeat(40), lfs: { oid: sha256(f.content), size: f.content.length, pointerSize: 134 } })));
            }
            if (options.noBlobsApi) return json(404, { error: "not here" });
            return json(200, { id: `${repo.user}/${repo.repo}`, siblings: repo.files.map((f) => ({ rfilename: f.path, size: f.content.length, lfs: { sha256: sha256(f.content), size: f.content.length, pointerSize: 134 } })) });
        }
        if (parts[2] === "resolve") {
            const repo = repoOf(parts[0], parts[1]);
            const file = repo?.files.find((f) => f.path === parts.slice(4).join("/"));
            if (!file) return json(404, { error: "Entry not found" });
            const body = file.served ?? file.content;
            let start = 0;
            let end = body.length; // exclusive
            const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
            if (m && !options.ignoreRanges) {
                start = Number(m[1]);
                if (m[2]) end = Math.min(body.length, Number(m[2]) + 1);
                if (start >= body.length) {
                    res.writeHead(416, { "content-range": `bytes */${body.length}` });
                    return res.end();
                }
                res.writeHead(206, { "content-length": end - start, "content-range": `bytes ${start}-${end - 1}/${body.length}`, "accept-ranges": "bytes" });
            } else {
                res.writeHead(200, { "content-length": body.length, "accept-ranges": "bytes", "content-type": "application/octet-stream" });
            }
            if (req.method === "HEAD") return res.end();
            const slice = body.subarray(start, end);
            if (options.interruptAfter !== undefined && interrupts < (options.interruptCount ?? 1)) {
                interrupts++;
                res.write(slice.subarray(0, options.interruptAfter), () => setTimeout(() => res.destroy(), 20));
                return;
            }
            if (options.slowChunk) {
                let off = 0;
                const next = (): void => {
                    if (res.destroyed) return;
                    if (off >= slice.length) return void res.end();
                    res.write(slice.subarray(off, off + options.slowChunk!), () => setTimeout(next, 15));
                    off += options.slowChunk!;
                };
                return next();
            }
            return res.end(slice);
        }
        json(404, { error: "no route" });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        requests,
        fileRequests: () => requests.filter((r) => r.path.includes("/resolve/")),
        options,
        close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    };
}
