/**
 * Deterministic random-weight GGUF models of llama.cpp architecture `glm4` (GLM-4-0414).
 *
 * - `TINY_SHAPE`: 64 wide, 2 layers; ~0.3 MB; every test runs real inference on it.
 * - `GLM4_32B_SHAPE`: the exact GLM-4-32B-0414 shape at Q4_K_M's tensor types; ~19.7 GB; the GPU benchmark model.
 * - `GLM4_9B_SHAPE`: the exact GLM-4-9B-0414 shape (q/k/v biases; ffn_down 13,696 wide, so Q5_0/Q8_0 fallbacks)
 *   at Q4_K_M; ~6.2 GB; the GPU benchmark's second completion model and draft model.
 *
 * Quantized shapes take their tensor types from the planner's copy of llama.cpp's quantization rules
 * (`server/planner/quantMix.ts`), so the generated file is the one `llama-quantize` would write, byte for byte in
 * size. Weights are zero-mean and small (about +-0.08, like the tiny models) so activations stay finite through
 * 61 layers on a GPU.
 *
 * The tokenizer is byte-level GPT-2 BPE with a few merges and GLM-4's 14 special tokens as CONTROL tokens,
 * plus the GLM-4-0414 chat template, so every prompt path of the product is exercised. Facts and pitfalls:
 * ../shared/design/TESTING.md.
 */
import { type GgmlTypeName, GgmlTypes, type MetaValue, type TensorSpec, type TensorFiller, writeGguf, ggufFileSize } from "./ggufWriter";
import { glm4QuantTensors, type Glm4Arch } from "../../../server/planner/quantMix";

/** The widths and counts are the planner's `Glm4Arch` ones; the rest says how to write the file. */
export interface Glm4Shape extends Pick<Glm4Arch, "embedding" | "layers" | "heads" | "kvHeads" | "headDim" | "ffn">, Partial<Pick<Glm4Arch, "qkvBias">> {
    name: string;
    /** Total vocabulary size; at least the byte tokens + merges + specials. */
    vocab?: number;
    contextLength: number;
    /** Overrides `glm4.rope.dimension_count` (default headDim / 2), to build deliberately broken files. */
    ropeDimensionCount?: number | null;
    /** "f32" | "f16" for tiny models, "q4_k_m" for the real-shape benchmark models. */
    weights: "f32" | "f16" | "q4_k_m";
    /** Adds CodeGeeX4's infill tokens to the vocabulary (to test completion-format detection). */
    codeGeexTokens?: boolean;
    /**
     * A model whose every prediction is the byte token "a" (`AGREE_TOKEN_ID`) with probability ~1, whatever the
     * input, at the full compute cost of its shape: the post-attention / post-FFN norms are 0 (every layer runs,
     * and adds nothing), all token embeddings are one constant vector, and the output row of "a" is positive.
     * Two such models always agree: the speculative-decoding benchmark's ceiling (a draft that is always right).
     */
    agree?: boolean;
    seed?: number;
}

/** The token an `agree` model always predicts: the byte token "a". */
export const AGREE_TOKEN_ID = 0x61;

export const TINY_SHAPE: Glm4Shape = {
    name: "glm4-tiny-random", embedding: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, ffn: 128,
    contextLength: 4096, weights: "f32", seed: 1,
};

export const GLM4_32B_SHAPE: Glm4Shape = {
    name: "GLM-4-32B-0414 random weights", embedding: 6144, layers: 61, heads: 48, kvHeads: 2, headDim: 128,
    ffn: 23040, vocab: 151552, contextLength: 32768, weights: "q4_k_m", seed: 1,
};

export const GLM4_9B_SHAPE: Glm4Shape = {
    name: "GLM-4-9B-0414 random weights", embedding: 4096, layers: 40, heads: 32, kvHeads: 2, headDim: 128,
    ffn: 13696, vocab: 151552, contextLength: 32768, weights: "q4_k_m", qkvBias: true, seed: 2,
};

/** The GPU benchmark's models, by the name scripts take: the two real shapes and their `agree` variants. */
export const BENCH_SHAPES: Record<"32b" | "9b" | "32b-agree" | "9b-agree", Glm4Shape> = {
    "32b": GLM4_32B_SHAPE,
    "9b": GLM4_9B_SHAPE,
    "32b-agree": { ...GLM4_32B_SHAPE, name: "GLM-4-32B-0414 shape, always agrees", agree: true },
    "9b-agree": { ...GLM4_9B_SHAPE, name: "GLM-4-9B-0414 shape, always agrees", agree: true },
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

export function glm4Tensors(shape: Glm4Shape, vocab: number): TensorSpec[] {
    const arch = {
        embedding: shape.embedding, layers: shape.layers, heads: shape.heads, kvHeads: shape.kvHeads, headDim: shape.headDim,
        ffn: shape.ffn, vocab, trainContext: shape.contextLength, qkvBias: shape.qkvBias ?? false,
    };
    const plain: GgmlTypeName = shape.weights === "f16" ? "F16" : "F32";
    return glm4QuantTensors(arch, "Q4_K_M").map((t) => {
        const type = t.dims.length === 1 ? "F32" : shape.weights === "q4_k_m" ? String(t.type) : plain;
        if (!(type in GgmlTypes)) throw new Error(`${t.name}: the writer cannot write ${type}`);
        return { name: t.name, dims: t.dims.map(Number), type: type as GgmlTypeName };
    });
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

/**
 * One block of each quantized type, all sub-block scales fixed so a weight is `step * (q - mid)` with q random:
 * zero-mean, within about +-0.08 (random scale bytes would give large positive means and overflow to NaN).
 */
function setQuantScales(type: GgmlTypeName, block: DataView, o: number): void {
    switch (type) {
        case "Q4_K": { // d, dmin, 12 bytes of 6-bit (scale, min) pairs: every sub-block scale 1, min 8; w = d*q - dmin*8
            block.setUint16(o, f16Bits(0.01), true);
            block.setUint16(o + 2, f16Bits(0.01 * 7.5 / 8), true);
            for (let j = 0; j < 4; j++) { block.setUint8(o + 4 + j, 1); block.setUint8(o + 8 + j, 8); block.setUint8(o + 12 + j, 1 | (8 << 4)); }
            break;
        }
        case "Q6_K": // 128 ql, 64 qh, 16 int8 scales, d: w = d * 1 * (q - 32)
            for (let j = 0; j < 16; j++) block.setInt8(o + 192 + j, 1);
            block.setUint16(o + 208, f16Bits(0.0025), true);
            break;
        case "Q5_0": block.setUint16(o, f16Bits(0.005), true); break; // w = d * (q - 16)
        case "Q8_0": block.setUint16(o, f16Bits(0.000625), true); break; // w = d * int8
        default: throw new Error(`no quantized filler for ${type}`);
    }
}

/** One block of `type` whose every weight is `value` (> 0), or zeros. */
function constantBlock(type: GgmlTypeName, value: number): Uint8Array {
    const { blockBytes } = GgmlTypes[type];
    const b = new Uint8Array(blockBytes);
    if (value === 0) return b;
    const dv = new DataView(b.buffer);
    switch (type) {
        case "F32": dv.setFloat32(0, value, true); break;
        case "F16": dv.setUint16(0, f16Bits(value), true); break;
        case "Q4_K": // d * 1 * 15 - dmin * 0
            dv.setUint16(0, f16Bits(value / 15), true);
            for (let j = 0; j < 4; j++) { b[4 + j] = 1; b[12 + j] = 1; }
            b.fill(0xff, 16);
            break;
        case "Q6_K": // d * 1 * (63 - 32)
            b.fill(0xff, 0, 192);
            b.fill(1, 192, 208);
            dv.setUint16(208, f16Bits(value / 31), true);
            break;
        case "Q5_0": dv.setUint16(0, f16Bits(value / 15), true); b.fill(0xff, 2); break; // d * (31 - 16)
        case "Q8_0": dv.setUint16(0, f16Bits(value / 127), true); b.fill(127, 2); break;
    }
    return b;
}

function writeConstant(type: GgmlTypeName, value: number, bytes: number, write: (chunk: Uint8Array) => void): void {
    const block = constantBlock(type, value);
    const chunk = new Uint8Array(Math.floor((1 << 20) / block.length) * block.length);
    for (let o = 0; o < chunk.length; o += block.length) chunk.set(block, o);
    for (let done = 0; done < bytes;) {
        const n = Math.min(bytes - done, chunk.length);
        write(chunk.subarray(0, n));
        done += n;
    }
}

/** The filler of a shape: random weights, or the `agree` model's (see `Glm4Shape.agree`). */
function makeFiller(shape: Glm4Shape): TensorFiller {
    const random = randomFiller(shape.seed ?? 1);
    if (!shape.agree) return random;
    return (tensor, bytes, write) => {
        if (/\.post_(attention|ffw)_norm\.weight$/.test(tensor.name)) return writeConstant(tensor.type, 0, bytes, write);
        if (tensor.name === "token_embd.weight") return writeConstant(tensor.type, 0.05, bytes, write);
        if (tensor.name !== "output.weight") return random(tensor, bytes, write);
        const rowBytes = bytes / tensor.dims[1]!;
        random(tensor, AGREE_TOKEN_ID * rowBytes, write);
        // its logit: width x value, at least 24 (probability ~1 against 151,552 random logits of about +-4)
        writeConstant(tensor.type, Math.max(0.08, 24 / shape.embedding), rowBytes, write);
        random(tensor, bytes - (AGREE_TOKEN_ID + 1) * rowBytes, write);
    };
}

/** Deterministic filler: norms are 1.0, matrices and biases small random values; quantized blocks get sane scales. */
function randomFiller(seed: number): TensorFiller {
    const rand = prng(seed);
    const CHUNK = 1 << 20;
    const quantTemplates = new Map<GgmlTypeName, Uint8Array>();
    const quantTemplate = (type: GgmlTypeName): Uint8Array => {
        let tpl = quantTemplates.get(type);
        if (tpl) return tpl;
        const blockBytes = GgmlTypes[type].blockBytes;
        const blocks = Math.floor(CHUNK / blockBytes);
        tpl = new Uint8Array(blocks * blockBytes);
        for (let i = 0; i < tpl.length; i++) tpl[i] = Math.floor(rand() * 256);
        const dv = new DataView(tpl.buffer);
        for (let b = 0; b < blocks; b++) setQuantScales(type, dv, b * blockBytes);
        quantTemplates.set(type, tpl);
        return tpl;
    };
    return (tensor, bytes, write) => {
        const isNorm = tensor.dims.length === 1 && !tensor.name.endsWith(".bias");
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
        const tpl = quantTemplate(tensor.type);
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
    const bytes = writeGguf(path, meta, tensors, makeFiller(shape));
    return { path, bytes, tokenizer };
}
