/**
 * Turns the `glm4.model` setting into a local file path, downloading when it is a URI.
 *
 * - A local path is used as is (`~` expanded; relative paths resolve against the server's working directory;
 *   `file:` URLs are accepted).
 * - `hf:user/repo:QUANT` (and `hf:user/repo/file.gguf`): a verified, resumable download into
 *   `<storagePath>/models` (fetchModel.ts: hub manifest -> file name, hub API -> SHA-256, HTTP Range resume,
 *   free-disk check), reused offline afterwards. Hub base URL: `GLM4_HF_ENDPOINT` / `HF_ENDPOINT`.
 * - `http(s)://...gguf`: downloaded once, size-checked.
 *
 * Errors: `glm4Error("DownloadFailed")` saying what failed (network, disk full, hash mismatch, truncated);
 * an abort rejects with the signal's reason and keeps the partial file for a later resume.
 */
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { glm4Error } from "../../protocol/errors";
import { fetchModel, type FetchModelOptions } from "./fetchModel";

export interface ResolveModelOptions {
    /** The server's storage folder; downloads go to `<storagePath>/models`. */
    storagePath: string;
    signal?: AbortSignal;
    /** Download progress: fraction 0..1 and a short human-readable detail ("1.2 / 19.7 GB"). */
    onProgress?(fraction: number, detail: string): void;
    /** Test hooks and tuning: hub base URL, free-space probe, retries (see FetchModelOptions). */
    download?: Pick<FetchModelOptions, "endpoint" | "freeSpace" | "retries">;
}

/** Whether the setting names something to download (a URI other than `file:`), rather than a local path. */
export function isRemoteModel(uri: string): boolean {
    const m = /^([a-z][a-z0-9+.-]*):/i.exec(uri.trim());
    if (!m) return false;
    const scheme = m[1]!.toLowerCase();
    return scheme.length > 1 && scheme !== "file"; // "C:\..." is a Windows drive, not a scheme
}

/** A local path for a setting that is a local path (no download). */
export function expandLocalPath(p: string): string {
    const t = p.trim();
    if (/^file:/i.test(t)) return fileURLToPath(t);
    if (t === "~") return os.homedir();
    if (t.startsWith("~/") || t.startsWith("~\\")) return path.join(os.homedir(), t.slice(2));
    return path.resolve(t);
}

export async function resolveModelPath(uri: string, options: ResolveModelOptions): Promise<string> {
    if (!isRemoteModel(uri)) return expandLocalPath(uri);
    try {
        return await fetchModel(uri.trim(), {
            storagePath: options.storagePath,
            ...options.download,
            ...(options.signal ? { signal: options.signal } : {}),
            ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
    } catch (e) {
        if (options.signal?.aborted) throw options.signal.reason;
        throw glm4Error("DownloadFailed", `Could not download ${uri.trim()}: ${(e as Error).message}. ` +
            `Check the network and the URI (hf:user/repo:QUANT), or set glm4.model to a local .gguf file.`, uri);
    }
}
