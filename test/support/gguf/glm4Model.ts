/**
 * Deterministic random-weight GGUF models of llama.cpp architecture `glm4` (GLM-4-0414).
 *
 * - `TINY_SHAPE`: 64 wide, 2 layers; ~0.3 MB; every test runs real inference on it.
 * - `GLM4_32B_SHAPE`: the exact GLM-4-32B-0414 shape, Q4_K_M-like types; ~19.7 GB; the GPU benchmark model.
 *
 * The tokenizer is byte-level GPT-2 BPE with a few merges and GLM-4's 14 special tokens as CONTROL tokens,
 * plus the GLM-4-0414 chat template, so every prompt path of the product is exercised. Facts and pitfalls:
 * ../shared/design/TESTING.md.
 */
import { type GgmlTypeName, type MetaValue, type TensorSpec, type TensorFiller, writeGguf, ggufFileSize } from "./ggufWriter";

export interface Glm4Shape {
    name: string;
    embedding: number;
    layers: number;
    heads: number;
    kvHeads: number;
    headDim: number;
    ffn: number;
    /** Total vocabulary size; at least the byte tokens + merges + specials. */
    vocab?: number;
    contextLength: number;
    /** Overrides `glm4.rope.dimension_count` (default headDim / 2), to build deliberately broken files. */
    ropeDimensionCount?: number | null;
    /** "f32" | "f16" for tiny models, "q4_k_m" for the real-shape benchmark model. */
    weights: "f32" | "f16" | "q4_k_m";
    /** Adds CodeGeeX4's infill tokens to the vocabulary (to test completion-format detection). */
    codeGeexTokens?: boolean;
    seed?: number;
}

export const TINY_SHAPE: Glm4Shape = {
    name: "glm4-tiny-random", embedding: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, ffn: 128,
    contextLength: 4096, weights: "f32", seed: 1,
};

export const GLM4_32B_SHAPE: Glm4Shape = {
    name: "GLM-4-32B-0414 random weights", embedding: 6144, layers: 61, heads: 48, kvHeads: 2, headDim: 128,
    ffn: 23040, vocab: 151552, contextLength: 32768, weights: "q4_k_m", seed: 1,
};

/** GLM-4-0414's special tokens, in id order (real ids 151329..151342). */
export const GLM4_SPECIAL_TOKENS = [
    "<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>", "<|system|>", "<|user|>",
    "<|assistant|>", "<|observation|>", "<|begin_of_image|>", "<|end_of_image|>", "<|begin_of_video|>",
    "<|end_of_video|>",
] as const;
const REAL_FIRST_SPECIAL_ID = 151329;
export const CODEGEEX_TOKENS = ["<|code_prefix|>", "<|code_middle|>", "<|code_suffix|>"] as const;

/** The GLM-4-0414 chat template (as shipped in the model's tokenizer_config.json, lightly normalized). */
export const GLM4_CHAT_TEMPLATE =
    "[gMASK]<sop>{%- if tools -%}<|system|>\n# 可用工具\n{% for tool in tools %}" +
    "{%- set function = tool.function if tool.get(\"function\") else tool %}\n\n## {{ function.name }}\n\n" +
    "{{ function | tojson(indent=4, ensure_ascii=False) }}\n在调用上述函数时，请使用 Json 格式表示调用的参数。{%- endfor %}{%- endif -%}" +
    "{%- for msg in messages %}{%- if msg.role == 'system' %}<|system|>\n{{ msg.content }}{%- endif %}{%- endfor %}" +
    "{%- for message in messages if message.role != 'system' %}{%- set role = message['role'] %}" +
    "{%- set content = message['content'] %}{%- set meta = message.get(\"metadata\", \"\") %}" +
    "{%- if role == 'user' %}<|user|>\n{{ content }}{%- elif role == 'assistant' and not meta %}<|assistant|>\n{{ content }}" +
    "{%- elif role == 'assistant' and meta %}<|assistant|>{{ meta }} \n{{ content }}" +
    "{%- elif role == 'observation' %}<|observation|>\n{{ content }}{%- endif %}{%- endfor %}" +
    "{% if add_generation_prompt %}<|assistant|>{% endif %}";

/** GPT-2's byte -> printable unicode mapping (the byte-level BPE alphabet). */
export function gpt2ByteChars(): string[] {
    const printable: number[] = [];
    for (let b = 33; b <= 126; b++) printable.push(b);
    for (let b = 161; b <= 172; b++) printable.push(b);
    for (let b = 174; b <= 255; b++) printable.push(b);
    const chars = new Array<string>(256);
    let extra = 0;
    for (let b = 0; b < 256; b++) {
        chars[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
    }
    return chars;
}

/** A few merges common in code, so tokenization is not purely per byte. Parts and results are all tokens. */
const MERGE_PAIRS: readonly (readonly [string, string])[] = [
    ["Ġ", "Ġ"], ["ĠĠ", "ĠĠ"], ["e", "r"], ["i", "n"], ["o", "n"], ["r", "e"], ["t", "h"], ["Ġ", "t"], ["Ġ", "="],
    ["e", "t"], ["u", "r"], ["Ġ", "f"], ["Ġ", "r"], ["Ċ", "Ġ"], ["ĊĠ", "ĠĠ"], ["(", ")"], ["Ġ", "{"], ["Ġ", "c"],
    ["r", "et"], ["ret", "ur"], ["retur", "n"], ["Ġ", "return"], ["c", "on"], ["s", "t"], ["con", "st"], ["Ġ", "const"],
];

export interface Glm4Tokenizer {
    tokens: string[];
    types: number[];
    merges: string[];
    specialIds: Record<(typeof GLM4_SPECIAL_TOKENS)[number], number>;
}

export function buildTokenizer(shape: Glm4Shape): Glm4Tokenizer {
    const NORMAL = 1, CONTROL = 3, UNUSED = 5;
    const tokens = gpt2ByteChars();
    const types: number[] = tokens.map(() => NORMAL);
    const merges: string[] = [];
    const known = new Set(tokens);
    for (const [a, b] of MERGE_PAIRS) {
        if (!known.has(a) || !known.has(b)) throw new Error(`merge part missing: ${a} ${b}`);
        const joined = a + b;
        if (known.has(joined)) throw new Error(`duplicate merge result ${joined}`);
        merges.push(`${a} ${b}`);
        tokens.push(joined); types.push(NORMAL); known.add(joined);
    }
    const pad = (upTo: number): void => {
        while (tokens.length < upTo) { tokens.push(`[PAD${tokens.length}]`); types.push(UNUSED); }
    };
    if (shape.vocab !== undefined && shape.vocab > REAL_FIRST_SPECIAL_ID) pad(REAL_FIRST_SPECIAL_ID);
    const specialIds = {} as Glm4Tokenizer["specialIds"];
    for (const s of GLM4_SPECIAL_TOKENS) { specialIds[s] = tokens.length; tokens.push(s); types.push(CONTROL); }
    if (shape.codeGeexTokens) for (const s of CODEGEEX_TOKENS) { tokens.push(s); types.push(CONTROL); }
    if (shape.vocab !== undefined) {
        if (shape.vocab < tokens.length) throw new Error(`vocab ${shape.vocab} < ${tokens.length} tokens`);
        pad(shape.vocab);
    }
    return { tokens, types, merges, specialIds };
}

/** Q4_K_M's mixture: attn_v and ffn_down get Q6_K on llama.cpp's "use_more_bits" layers. */
function useMoreBits(layer: number, layers: number): boolean {
    return layer < layers / 8 || layer >= (7 * layers) / 8 || (layer - Math.floor(layers / 8)) % 3 === 2;
}

export function glm4Tensors(shape: Glm4Shape, vocab: number): TensorSpec[] {
    const E = shape.embedding, H = shape.heads, KV = shape.kvHeads, D = shape.headDim, F = shape.ffn;
    const q = shape.weights === "q4_k_m";
    const mat = (layer: number, more = false): GgmlTypeName =>
        q ? (more && useMoreBits(layer, shape.layers) ? "Q6_K" : "Q4_K") : shape.weights === "f16" ? "F16" : "F32";
    const vec: GgmlTypeName = "F32";
    const t: TensorSpec[] = [{ name: "token_embd.weight", dims: [E, vocab], type: q ? "Q4_K" : mat(0) }];
    for (let i = 0; i < shape.layers; i++) {
        const p = `blk.${i}.`;
        t.push(
            { name: p + "attn_norm.weight", dims: [E], type: vec },
            { name: p + "attn_q.weight", dims: [E, H * D], type: mat(i) },
            { name: p + "attn_k.weight", dims: [E, KV * D], type: mat(i) },
            { name: p + "attn_v.weight", dims: [E, KV * D], type: mat(i, true) },
            { name: p + "attn_output.weight", dims: [H * D, E], type: mat(i) },
            { name: p + "post_attention_norm.weight", dims: [E], type: vec },
            { name: p + "ffn_norm.weight", dims: [E], type: vec },
            { name: p + "ffn_up.weight", dims: [E, 2 * F], type: mat(i) },
            { name: p + "ffn_down.weight", dims: [F, E], type: mat(i, true) },
            { name: p + "post_ffw_norm.weight", dims: [E], type: vec },
        );
    }
    t.push({ name: "output_norm.weight", dims: [E], type: vec }, { name: "output.weight", dims: [E, vocab], type: q ? "Q6_K" : mat(0) });
    return t;
}

export function glm4Metadata(shape: Glm4Shape, tok: Glm4Tokenizer): Map<string, MetaValue> {
    const m = new Map<string, MetaValue>();
    const u32 = (k: string, v: number): void => { m.set(k, { type: "u32", value: v }); };
    m.set("general.architecture", { type: "string", value: "glm4" });
    m.set("general.name", { type: "string", value: shape.name });
    u32("general.file_type", shape.weights === "q4_k_m" ? 15 : shape.weights === "f16" ? 1 : 0);
    if (shape.weights === "q4_k_m") u32("general.quantization_version", 2);
    u32("glm4.context_length", shape.contextLength);
    u32("glm4.embedding_length", shape.embedding);
    u32("glm4.feed_forward_length", shape.ffn);
    u32("glm4.block_count", shape.layers);
    u32("glm4.attention.head_count", shape.heads);
    u32("glm4.attention.head_count_kv", shape.kvHeads);
    u32("glm4.attention.key_length", shape.headDim);
    u32("glm4.attention.value_length", shape.headDim);
    m.set("glm4.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 });
    if (shape.ropeDimensionCount !== null) u32("glm4.rope.dimension_count", shape.ropeDimensionCount ?? shape.headDim / 2);
    m.set("glm4.rope.freq_base", { type: "f32", value: 10000 });
    m.set("tokenizer.ggml.model", { type: "string", value: "gpt2" });
    m.set("tokenizer.ggml.pre", { type: "string", value: "glm4" });
    m.set("tokenizer.ggml.tokens", { type: "string[]", value: tok.tokens });
    m.set("tokenizer.ggml.token_type", { type: "i32[]", value: tok.types });
    m.set("tokenizer.ggml.merges", { type: "string[]", value: tok.merges });
    const eos = tok.specialIds["<|endoftext|>"];
    u32("tokenizer.ggml.eos_token_id", eos);
    u32("tokenizer.ggml.padding_token_id", eos);
    u32("tokenizer.ggml.bos_token_id", eos);
    u32("tokenizer.ggml.eot_token_id", tok.specialIds["<|user|>"]);
    u32("tokenizer.ggml.unknown_token_id", eos);
    m.set("tokenizer.ggml.add_bos_token", { type: "bool", value: false });
    m.set("tokenizer.chat_template", { type: "string", value: GLM4_CHAT_TEMPLATE });
    return m;
}

/** mulberry32: a small, fast, seedable PRNG. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function f16Bits(v: number): number {
    const f = new Float32Array([v]);
    const x = new Uint32Array(f.buffer)[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 127 + 15;
    const mant = (x >>> 13) & 0x3ff;
    if (exp <= 0) return sign;
    if (exp >= 31) return sign | 0x7c00;
    return sign | (exp << 10) | mant;
}

/** Deterministic filler: norms are 1.0, matrices small random values; quantized blocks get sane scales. */
function makeFiller(seed: number): TensorFiller {
    const rand = prng(seed);
    const CHUNK = 1 << 20;
    const quantTemplates = new Map<GgmlTypeName, Uint8Array>();
    const quantTemplate = (type: GgmlTypeName, blockBytes: number): Uint8Array => {
        let tpl = quantTemplates.get(type);
        if (tpl) return tpl;
        const blocks = Math.floor(CHUNK / blockBytes);
        tpl = new Uint8Array(blocks * blockBytes);
        for (let i = 0; i < tpl.length; i++) tpl[i] = Math.floor(rand() * 256);
        const dv = new DataView(tpl.buffer);
        for (let b = 0; b < blocks; b++) {
            const o = b * blockBytes;
            if (type === "Q4_K") { dv.setUint16(o, f16Bits(0.002), true); dv.setUint16(o + 2, f16Bits(0.001), true); }
            else if (type === "Q6_K") dv.setUint16(o + 208, f16Bits(0.0005), true);
            else if (type === "Q8_0") dv.setUint16(o, f16Bits(0.0005), true);
        }
        quantTemplates.set(type, tpl);
        return tpl;
    };
    return (tensor, bytes, write) => {
        const isNorm = tensor.dims.length === 1;
        if (tensor.type === "F32" || tensor.type === "F16") {
            const per = tensor.type === "F32" ? 4 : 2;
            const count = bytes / per;
            const buf = Buffer.alloc(Math.min(bytes, CHUNK));
            for (let done = 0; done < count;) {
                const n = Math.min(count - done, buf.length / per);
                for (let i = 0; i < n; i++) {
                    const v = isNorm ? 1 : (rand() * 2 - 1) * 0.08;
                    if (per === 4) buf.writeFloatLE(v, i * 4);
                    else buf.writeUInt16LE(f16Bits(v), i * 2);
                }
                write(buf.subarray(0, n * per));
                done += n;
            }
            return;
        }
        const tpl = quantTemplate(tensor.type, { Q8_0: 34, Q4_K: 144, Q6_K: 210 }[tensor.type as "Q8_0" | "Q4_K" | "Q6_K"]);
        for (let done = 0; done < bytes;) {
            const n = Math.min(bytes - done, tpl.length);
            write(tpl.subarray(0, n));
            done += n;
        }
    };
}

export interface GeneratedModel { path: string; bytes: number; tokenizer: Glm4Tokenizer }

export function glm4ModelLayout(shape: Glm4Shape): { meta: Map<string, MetaValue>; tensors: TensorSpec[]; tokenizer: Glm4Tokenizer } {
    const tokenizer = buildTokenizer(shape);
    return { meta: glm4Metadata(shape, tokenizer), tensors: glm4Tensors(shape, tokenizer.tokens.length), tokenizer };
}

export function glm4ModelFileSize(shape: Glm4Shape): number {
    const { meta, tensors } = glm4ModelLayout(shape);
    return ggufFileSize(meta, tensors);
}

export function writeGlm4Model(path: string, shape: Glm4Shape = TINY_SHAPE): GeneratedModel {
    const { meta, tensors, tokenizer } = glm4ModelLayout(shape);
    const bytes = writeGguf(path, meta, tensors, makeFiller(shape.seed ?? 1));
    return { path, bytes, tokenizer };
}
