/**
 * Checks a GGUF file before it is loaded, from its header only (node-llama-cpp's `readGgufFileInfo`: metadata
 * and tensor table, no weights), and explains what is wrong in words a person can act on. Problems that make
 * the model unusable are thrown as `glm4Error("BadModel", ...)`; doubtful but loadable files give warnings.
 *
 * Refused: a missing file or a directory; not GGUF (wrong magic); a header that does not parse (truncated or
 * corrupt); a file shorter than its tensor table needs (an interrupted download); GLM-4 files whose
 * `glm4.rope.dimension_count` is missing or not head_dim/2 (llama.cpp then rotates the whole head, silently,
 * and the output is garbage). Warned: another architecture (allowed: prompts are written for GLM-4); GLM-4
 * special tokens missing from the vocabulary. `checkGgufHeader` is the pure part.
 */
import * as fs from "node:fs/promises";
import type { GgufFileInfo } from "node-llama-cpp";
import { ResponseError } from "vscode-languageserver-protocol";
import { glm4Error } from "../protocol/errors";
import { loadNodeLlamaCpp } from "./llama/engine";

/** Special tokens GLM-4 prompts are built from. */
export const GLM4_REQUIRED_SPECIAL_TOKENS = [
    "[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>", "<|endoftext|>",
] as const;

/** GGUF token type CONTROL (llama.cpp `LLAMA_TOKEN_TYPE_CONTROL`). */
const TOKEN_TYPE_CONTROL = 3;

export interface ModelFileSummary {
    path: string;
    architecture: string;
    name?: string;
    /** Bytes of the (first) file. */
    fileSize: number;
    trainContextSize?: number;
    /** Control tokens of the vocabulary. */
    specialTokens: string[];
}

export interface ValidationResult {
    summary: ModelFileSummary;
    warnings: string[];
}

/** Reads and checks a GGUF file's header. Throws `glm4Error("BadModel")` with a clear message. */
export async function validateModelFile(path: string): Promise<ValidationResult> {
    let size: number;
    try {
        const st = await fs.stat(path);
        if (st.isDirectory()) throw bad(`${path} is a folder, not a model file. Set glm4.model to a .gguf file or an hf: URI.`, path);
        size = st.size;
    } catch (e) {
        if (e instanceof ResponseError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT") throw bad(`Model file not found: ${path}. Set glm4.model to an existing .gguf file or an hf: URI.`, path);
        throw bad(`Cannot read the model file ${path}: ${(e as Error).message}`, path);
    }
    const magic = await readMagic(path);
    if (magic.length < 4) throw bad(`${path} is not a GGUF model: the file has only ${size} bytes.`, path);
    if (magic.toString("latin1") !== "GGUF") {
        throw bad(`${path} is not a GGUF model file (it starts with bytes ${hex(magic)}, a GGUF file starts with "GGUF"). ` +
            `Point glm4.model at a .gguf file.`, path);
    }
    const nlc = await loadNodeLlamaCpp();
    let info: GgufFileInfo;
    try {
        info = await nlc.readGgufFileInfo(path, { sourceType: "filesystem", logWarnings: false });
    } catch (e) {
        throw bad(`${path} is truncated or corrupt: its GGUF header cannot be read (${(e as Error).message}). ` +
            `Delete it and download or convert it again.`, path);
    }
    const { errors, warnings, summary } = checkGgufHeader(info, size, path);
    if (errors.length) throw bad(errors.join(" "), path);
    return { summary, warnings };
}

/** The header checks, pure: GGUF info + the file's size -> errors (refuse) and warnings (allow). */
export function checkGgufHeader(info: GgufFileInfo, fileSize: number, path: string): { errors: string[]; warnings: string[]; summary: ModelFileSummary } {
    const errors: string[] = [];
    const warnings: string[] = [];
    const meta = info.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
    const general = meta.general ?? {};
    const architecture = typeof general.architecture === "string" ? general.architecture : "";
    const arch = (architecture ? meta[architecture] : undefined) as ArchMeta | undefined;
    const tokenizer = (meta.tokenizer?.ggml ?? {}) as { tokens?: unknown; token_type?: unknown };
    const specialTokens = controlTokens(tokenizer.tokens, tokenizer.token_type);
    const summary: ModelFileSummary = { path, architecture: architecture || "unknown", fileSize, specialTokens };
    if (typeof general.name === "string" && general.name) summary.name = general.name;
    if (typeof arch?.context_length === "number") summary.trainContextSize = arch.context_length;

    // readGgufFileInfo does not fail on a file cut inside its header: it reads past the end. Catch that first;
    // the rest of a cut header is garbage, so nothing else is reported.
    const headerEnd = info.infoEndOffset ?? 0;
    if (headerEnd > fileSize || (info.tensorInfo !== undefined && info.splicedParts === 1 && info.tensorInfo.length !== Number(info.tensorCount))) {
        errors.push(`${path} is truncated or corrupt: its GGUF header cannot be read (the header needs ${headerEnd} bytes, ` +
            `the file has ${fileSize}). Delete it and download or convert it again.`);
        return { errors, warnings, summary };
    }
    if (!architecture) errors.push(`${path} has no general.architecture: it is not a usable llama.cpp model.`);
    if (Number(info.tensorCount) === 0) errors.push(`${path} contains no tensors (a vocabulary-only file?).`);

    const needed = neededBytes(info);
    if (needed > fileSize) {
        errors.push(`${path} is truncated: it has ${fileSize} bytes but its tensors need ${needed} ` +
            `(${(100 * fileSize / needed).toFixed(1)}% present; an interrupted download?). Delete it and download it again.`);
    }

    if (architecture === "glm4") {
        const heads = num(arch?.attention?.head_count);
        const embd = num(arch?.embedding_length);
        const headDim = num(arch?.attention?.key_length) ?? (heads && embd ? embd / heads : undefined);
        const rope = num(arch?.rope?.dimension_count);
        const expected = headDim !== undefined ? headDim / 2 : undefined;
        if (rope === undefined) {
            errors.push(`${path} lacks glm4.rope.dimension_count. GLM-4 rotates only half of each attention head` +
                `${expected !== undefined ? ` (${expected} of ${headDim} dimensions)` : ""}; without this key llama.cpp rotates the whole head and ` +
                `the output is garbage. Use a GGUF converted by a current llama.cpp (convert_hf_to_gguf.py), e.g. bartowski's or unsloth's.`);
        } else if (expected !== undefined && rope !== expected) {
            errors.push(`${path} has glm4.rope.dimension_count = ${rope}, but GLM-4 rotates half of each ${headDim}-dimension head: it must be ` +
                `${expected}. The output would be garbage; use a correctly converted GGUF.`);
        }
    } else if (architecture) {
        warnings.push(`${path} has architecture "${architecture}", not "glm4": it will load, but prompts are written for GLM-4 and may not suit it.`);
    }

    if (!Array.isArray(tokenizer.tokens)) {
        warnings.push(`${path} has no tokenizer.ggml.tokens: its vocabulary cannot be checked.`);
    } else {
        const vocab = new Set(specialTokens);
        const missing = GLM4_REQUIRED_SPECIAL_TOKENS.filter((t) => !vocab.has(t));
        if (missing.length) {
            warnings.push(`${path} lacks GLM-4's special tokens ${missing.join(" ")} (as control tokens): GLM-4 prompts will be ` +
                `tokenized as plain text there and the model may not follow them.`);
        }
    }
    return { errors, warnings, summary };
}

/** Control tokens of a GGUF vocabulary (`tokenizer.ggml.tokens` where `token_type` is CONTROL). */
export function controlTokens(tokens: unknown, types: unknown): string[] {
    if (!Array.isArray(tokens) || !Array.isArray(types)) return [];
    const out: string[] = [];
    for (let i = 0; i < tokens.length; i++) {
        if (Number(types[i]) === TOKEN_TYPE_CONTROL && typeof tokens[i] === "string") out.push(tokens[i] as string);
    }
    return out;
}

interface ArchMeta {
    context_length?: unknown;
    embedding_length?: unknown;
    attention?: { head_count?: unknown; key_length?: unknown };
    rope?: { dimension_count?: unknown };
}

function num(v: unknown): number | undefined {
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "bigint") return Number(v);
    return undefined;
}

/** [elements per block, bytes per block] of GGML tensor types (ggml.h numbering). */
const GGML_BLOCKS: Record<number, readonly [number, number]> = {
    0: [1, 4], 1: [1, 2], 2: [32, 18], 3: [32, 20], 6: [32, 22], 7: [32, 24], 8: [32, 34], 9: [32, 36],
    10: [256, 84], 11: [256, 110], 12: [256, 144], 13: [256, 176], 14: [256, 210], 15: [256, 292],
    16: [256, 66], 17: [256, 74], 18: [256, 98], 19: [256, 50], 20: [32, 18], 21: [256, 110], 22: [256, 82],
    23: [256, 136], 24: [1, 1], 25: [1, 2], 26: [1, 4], 27: [1, 8], 28: [1, 8], 29: [256, 56], 30: [1, 2],
    34: [256, 54], 35: [256, 66], 39: [32, 17],
};

/** Bytes the first file must have for all its tensors (types this table does not know count as 0 bytes). */
export function neededBytes(info: GgufFileInfo): number {
    let end = info.infoEndOffset ?? 0;
    for (const t of info.tensorInfo ?? []) {
        if (t.filePart !== 1) continue;
        const elements = t.dimensions.reduce<number>((a, d) => a * Number(d), 1);
        const block = GGML_BLOCKS[t.ggmlType];
        const bytes = block ? Math.ceil(elements / block[0]) * block[1] : 0;
        end = Math.max(end, Number(t.fileOffset) + bytes);
    }
    return end;
}

async function readMagic(path: string): Promise<Buffer> {
    const fh = await fs.open(path, "r");
    try {
        const buf = Buffer.alloc(4);
        const { bytesRead } = await fh.read(buf, 0, 4, 0);
        return buf.subarray(0, bytesRead);
    } finally {
        await fh.close();
    }
}

function hex(b: Buffer): string {
    return [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
}

function bad(message: string, path: string) {
    return glm4Error("BadModel", message, path);
}
