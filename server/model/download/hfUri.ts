/**
 * Hugging Face model URIs, as node-llama-cpp 3.21.1 reads them (`parseModelUri`):
 * - `hf:user/repo:QUANT` (also `hf://`, `huggingface:`, `hf.co/`, `huggingface.co/` prefixes): a quantization
 *   tag, resolved by the hub's manifest route to one file (`latest` / no tag = Q4_K_M first);
 * - `hf:user/repo/path/to/file.gguf[#branch]`: one file on a branch (default main).
 * Pure.
 */

export type HfRef =
    | { kind: "tag"; user: string; repo: string; tag: string }
    | { kind: "file"; user: string; repo: string; file: string; branch: string };

const PREFIXES = ["hf://", "huggingface://", "hf:", "huggingface:", "hf.co/", "huggingface.co/"];

export function isHfUri(uri: string): boolean {
    const t = uri.trim().toLowerCase();
    return PREFIXES.some((p) => t.startsWith(p));
}

/** Parses an `hf:` URI; undefined when it is not one or is malformed. */
export function parseHfUri(uri: string): HfRef | undefined {
    const t = uri.trim();
    const prefix = PREFIXES.find((p) => t.toLowerCase().startsWith(p));
    if (!prefix) return undefined;
    const rest = t.slice(prefix.length);
    const [user, repoPart, ...pathParts] = rest.split("/");
    if (!user || !repoPart) return undefined;
    if (pathParts.length === 0 || repoPart.includes(":")) {
        const [repo, ...tagParts] = repoPart.split(":");
        if (!repo) return undefined;
        const tag = tagParts.join(":").trim() || "latest";
        return { kind: "tag", user, repo, tag: /^[a-z0-9_]+$/i.test(tag) && tag.toLowerCase() !== "latest" ? tag.toUpperCase() : tag };
    }
    let file = pathParts.join("/");
    let branch = "main";
    const hash = file.indexOf("#");
    if (hash >= 0) {
        branch = file.slice(hash + 1) || "main";
        file = file.slice(0, hash);
    }
    if (!file) return undefined;
    return { kind: "file", user, repo: repoPart, file, branch };
}

/** The canonical text of a reference (what the store records as a download's `uri`). */
export function formatHfRef(ref: HfRef): string {
    return ref.kind === "tag"
        ? `hf:${ref.user}/${ref.repo}:${ref.tag}`
        : `hf:${ref.user}/${ref.repo}/${ref.file}${ref.branch !== "main" ? `#${ref.branch}` : ""}`;
}

/** `name-00001-of-00003.gguf` -> its parts, in order; a single file -> [name]. */
export function splitParts(fileName: string): string[] {
    const m = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i.exec(fileName);
    if (!m) return [fileName];
    const count = Number(m[3]);
    return Array.from({ length: count }, (_, i) => `${m[1]}-${String(i + 1).padStart(5, "0")}-of-${m[3]}.gguf`);
}
