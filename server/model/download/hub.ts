/**
 * The Hugging Face hub, as far as downloads need it: which file a quantization tag names, the URL to fetch it
 * from, and the SHA-256 the hub publishes for it (the LFS oid). Base URL: `GLM4_HF_ENDPOINT`, else
 * `HF_ENDPOINT`, else https://huggingface.co (tests point it at a local server). `HF_TOKEN` is sent as a
 * bearer token when set (gated repositories).
 *
 * Routes: `GET /v2/{user}/{repo}/manifests/{tag}` (User-Agent "llama-cpp": the manifest names the GGUF file,
 * as llama.cpp and node-llama-cpp resolve tags); `GET /api/models/{user}/{repo}?blobs=true` (siblings with
 * `lfs.sha256` and size), falling back to `GET /api/models/{user}/{repo}/tree/{branch}?recursive=true`
 * (`lfs.oid`); files from `/{user}/{repo}/resolve/{branch}/{path}`.
 */
import { splitParts, type HfRef } from "./hfUri";

export interface HubFile {
    /** Path in the repository. */
    path: string;
    url: string;
    size: number;
    /** Lower-case hex SHA-256 the hub publishes. */
    sha256: string;
}

export class HubError extends Error {
    constructor(message: string, readonly status?: number) {
        super(message);
        this.name = "HubError";
    }
}

export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
    const raw = env.GLM4_HF_ENDPOINT || env.HF_ENDPOINT || "https://huggingface.co";
    return raw.replace(/\/+$/, "");
}

export function hubHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
    const token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
    return token ? { Authorization: `Bearer ${token}` } : {};
}

const enc = (p: string): string => p.split("/").map(encodeURIComponent).join("/");

export function fileUrl(endpoint: string, user: string, repo: string, branch: string, path: string): string {
    return `${endpoint}/${encodeURIComponent(user)}/${encodeURIComponent(repo)}/resolve/${encodeURIComponent(branch)}/${enc(path)}?download=true`;
}

interface Ctx { endpoint: string; signal?: AbortSignal; headers: Record<string, string> }

async function getJson(url: string, ctx: Ctx, extra: Record<string, string> = {}): Promise<{ status: number; json?: unknown }> {
    let res: Response;
    try {
        res = await fetch(url, { headers: { Accept: "application/json", ...ctx.headers, ...extra }, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    } catch (e) {
        if (ctx.signal?.aborted) throw ctx.signal.reason;
        throw new HubError(`cannot reach ${new URL(url).origin}: ${(e as Error).message}`);
    }
    if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        return { status: res.status };
    }
    try {
        return { status: res.status, json: await res.json() };
    } catch {
        throw new HubError(`${url} did not answer JSON`);
    }
}

interface RepoEntry { path: string; size: number; sha256?: string }

/** Every file of the repo with its size and published SHA-256 (blobs API, else the tree API). */
async function listRepo(user: string, repo: string, branch: string, ctx: Ctx): Promise<RepoEntry[]> {
    const base = `${ctx.endpoint}/api/models/${encodeURIComponent(user)}/${encodeURIComponent(repo)}`;
    const blobs = await getJson(`${base}?blobs=true`, ctx);
    if (blobs.json && Array.isArray((blobs.json as { siblings?: unknown }).siblings)) {
        type Sibling = { rfilename?: string; size?: number; lfs?: { sha256?: string; oid?: string; size?: number } };
        return ((blobs.json as { siblings: Sibling[] }).siblings)
            .filter((s) => typeof s.rfilename === "string")
            .map((s) => ({ path: s.rfilename!, size: s.lfs?.size ?? s.size ?? -1, ...oidOf(s.lfs?.sha256 ?? s.lfs?.oid) }));
    }
    const tree = await getJson(`${base}/tree/${encodeURIComponent(branch)}?recursive=true`, ctx);
    if (Array.isArray(tree.json)) {
        type Entry = { type?: string; path?: string; size?: number; lfs?: { oid?: string; sha256?: string; size?: number } };
        return (tree.json as Entry[])
            .filter((e) => e.type !== "directory" && typeof e.path === "string")
            .map((e) => ({ path: e.path!, size: e.lfs?.size ?? e.size ?? -1, ...oidOf(e.lfs?.oid ?? e.lfs?.sha256) }));
    }
    const status = blobs.status === 200 ? tree.status : blobs.status;
    if (status === 404) throw new HubError(`the repository ${user}/${repo} does not exist on ${ctx.endpoint}`, 404);
    if (status === 401 || status === 403) throw new HubError(`${user}/${repo} needs access rights: accept its license on the hub and set HF_TOKEN`, status);
    throw new HubError(`cannot list ${user}/${repo} on ${ctx.endpoint} (HTTP ${status})`, status);
}

function oidOf(v: string | undefined): { sha256?: string } {
    if (!v) return {};
    const hex = v.replace(/^sha256:/i, "").toLowerCase();
    return /^[0-9a-f]{64}$/.test(hex) ? { sha256: hex } : {};
}

/** The file a tag names: the hub's manifest (as llama.cpp asks for it), else the first .gguf whose name has the tag. */
async function fileForTag(ref: Extract<HfRef, { kind: "tag" }>, files: RepoEntry[], ctx: Ctx): Promise<string> {
    const tag = ref.tag.toLowerCase() === "latest" ? "Q4_K_M" : ref.tag;
    const manifest = await getJson(
        `${ctx.endpoint}/v2/${encodeURIComponent(ref.user)}/${encodeURIComponent(ref.repo)}/manifests/${encodeURIComponent(ref.tag)}`,
        ctx, { "User-Agent": "llama-cpp" },
    ).catch(() => ({ status: 0, json: undefined }));
    const name = (manifest.json as { ggufFile?: { rfilename?: unknown } } | undefined)?.ggufFile?.rfilename;
    if (typeof name === "string" && name) return name;
    const ggufs = files.map((f) => f.path).filter((p) => /\.gguf$/i.test(p) && !/mmproj/i.test(p)).sort();
    const hit = ggufs.find((p) => p.toLowerCase().includes(tag.toLowerCase()) && (!/-\d{5}-of-\d{5}\.gguf$/i.test(p) || /-00001-of-/i.test(p)));
    if (hit) return hit;
    throw new HubError(`${ref.user}/${ref.repo} has no ${tag} file (it has: ${ggufs.map((p) => p.split("/").pop()).join(", ") || "no .gguf files"})`, 404);
}

/**
 * The files to download for a reference (several for a split GGUF, first part first), each with its URL,
 * size and published SHA-256. Rejects with HubError when the hub cannot say which file or what hash.
 */
export async function resolveHubFiles(ref: HfRef, options: { endpoint?: string; signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<HubFile[]> {
    const ctx: Ctx = { endpoint: options.endpoint ?? hubEndpoint(), headers: options.headers ?? hubHeaders(), ...(options.signal ? { signal: options.signal } : {}) };
    const branch = ref.kind === "file" ? ref.branch : "main";
    const files = await listRepo(ref.user, ref.repo, branch, ctx);
    const first = ref.kind === "file" ? ref.file : await fileForTag(ref, files, ctx);
    const dir = first.includes("/") ? first.slice(0, first.lastIndexOf("/") + 1) : "";
    const names = splitParts(first.slice(dir.length)).map((n) => dir + n);
    return names.map((p) => {
        const entry = files.find((f) => f.path === p);
        if (!entry) throw new HubError(`${ref.user}/${ref.repo} has no file ${p}`, 404);
        if (!entry.sha256) throw new HubError(`the hub publishes no SHA-256 for ${p}: refusing to download an unverifiable file`);
        return { path: p, url: fileUrl(ctx.endpoint, ref.user, ref.repo, branch, p), size: entry.size, sha256: entry.sha256 };
    });
}
