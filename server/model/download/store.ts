/**
 * The model store: `<storagePath>/models`. A downloaded file `X.gguf` has a sidecar `X.gguf.json` recording
 * where it came from and its verified SHA-256; an interrupted download is `X.gguf.partial`. Files are named
 * `hf_<user>_<file name>` (split parts keep their `-0000N-of-0000M` suffix, so llama.cpp finds them).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { StoredModel } from "../../protocol/planner";

export interface Sidecar {
    /** The `hf:` URI or URL the file was downloaded for. */
    uri: string;
    url: string;
    sha256: string;
    bytes: number;
    downloadedAt: string;
    /** For split files: this part's index (1-based) and count. */
    part?: number;
    parts?: number;
}

export function modelsDir(storagePath: string): string {
    return path.join(storagePath, "models");
}

/** A file-system-safe name for a hub file. */
export function storedName(user: string, filePath: string): string {
    const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, "_");
    return `hf_${safe(user)}_${safe(filePath.split("/").pop()!)}`;
}

export function sidecarPath(file: string): string {
    return `${file}.json`;
}

export async function readSidecar(file: string): Promise<Sidecar | undefined> {
    try {
        const v = JSON.parse(await fs.readFile(sidecarPath(file), "utf8")) as Partial<Sidecar>;
        if (typeof v.uri !== "string" || typeof v.sha256 !== "string" || typeof v.bytes !== "number") return undefined;
        return v as Sidecar;
    } catch {
        return undefined;
    }
}

export async function writeSidecar(file: string, s: Sidecar): Promise<void> {
    const tmp = `${sidecarPath(file)}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(s, null, 2));
    await fs.rename(tmp, sidecarPath(file));
}

/** A complete, recorded download: the file exists with the recorded size (and hash, when `sha256` is given). */
export async function isVerified(file: string, sha256?: string): Promise<Sidecar | undefined> {
    const s = await readSidecar(file);
    if (!s) return undefined;
    if (sha256 !== undefined && s.sha256 !== sha256.toLowerCase()) return undefined;
    try {
        if ((await fs.stat(file)).size !== s.bytes) return undefined;
    } catch {
        return undefined;
    }
    return s;
}

/** The first part of a complete download recorded for `uri` (offline use after the first download). */
export async function findDownloaded(storagePath: string, uri: string): Promise<string | undefined> {
    let names: string[];
    try {
        names = await fs.readdir(modelsDir(storagePath));
    } catch {
        return undefined;
    }
    for (const n of names.filter((x) => /\.gguf$/i.test(x)).sort()) {
        const file = path.join(modelsDir(storagePath), n);
        const s = await isVerified(file);
        if (s && s.uri === uri && (s.part ?? 1) === 1) return file;
    }
    return undefined;
}

/** Every model file (complete or partial) in the store, largest first. */
export async function listStoredModels(storagePath: string, inUse?: string): Promise<StoredModel[]> {
    let names: string[];
    try {
        names = await fs.readdir(modelsDir(storagePath));
    } catch {
        return [];
    }
    const out: StoredModel[] = [];
    for (const n of names) {
        const partial = /\.gguf\.partial$/i.test(n);
        if (!partial && !/\.gguf$/i.test(n)) continue;
        const file = path.join(modelsDir(storagePath), n);
        let bytes: number;
        try {
            bytes = (await fs.stat(file)).size;
        } catch {
            continue;
        }
        const s = partial ? undefined : await readSidecar(file);
        const m: StoredModel = { path: file, fileName: n, bytes, inUse: !!inUse && path.resolve(inUse) === file, partial };
        if (s) {
            m.uri = s.uri;
            m.sha256 = s.sha256;
            m.downloadedAt = s.downloadedAt;
        }
        out.push(m);
    }
    return out.sort((a, b) => b.bytes - a.bytes);
}

/** Whether `file` is inside the store (never delete anything else). */
export function isInStore(storagePath: string, file: string): boolean {
    const dir = path.resolve(modelsDir(storagePath));
    const abs = path.resolve(file);
    return path.dirname(abs) === dir && /\.gguf(\.partial)?$/i.test(abs);
}

/** Deletes a stored model file with its sidecar and partial file. Returns the bytes freed. */
export async function deleteStoredModel(storagePath: string, file: string): Promise<number> {
    if (!isInStore(storagePath, file)) throw new RangeError(`${file} is not a model file in ${modelsDir(storagePath)}`);
    const base = path.resolve(file).replace(/\.partial$/i, "");
    let freed = 0;
    for (const f of [base, `${base}.partial`, sidecarPath(base)]) {
        try {
            freed += (await fs.stat(f)).size;
            await fs.rm(f, { force: true });
        } catch {
            // not there
        }
    }
    return freed;
}
