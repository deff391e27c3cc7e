/**
 * The tensor list of a GLM-4-0414 GGUF at a given quantization, derived from llama.cpp's quantization rules
 * (`llama_tensor_get_type` in llama-quant.cpp, the tree node-llama-cpp 3.21.1 bundles): which tensors get more
 * bits (attn_v / ffn_down on the "use_more_bits" layers, the output head at Q6_K) and the fallback types for
 * rows that are not a multiple of 256 (GLM-4-9B's ffn_down, 13,696 wide). The catalog sizes its files from
 * this list where no published size is known.
 */
import type { TensorLike } from "./shape";

export interface Glm4Arch {
    embedding: number;
    layers: number;
    heads: number;
    kvHeads: number;
    headDim: number;
    ffn: number;
    vocab: number;
    trainContext: number;
    /** GLM-4-9B has q/k/v biases, GLM-4-32B has none. */
    qkvBias: boolean;
}

/** Quantizations the catalog offers (llama.cpp ftype names). */
export const CATALOG_QUANTS = ["Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "Q8_0", "BF16"] as const;
export type CatalogQuant = (typeof CATALOG_QUANTS)[number];

const DEFAULT_TYPE: Record<CatalogQuant, string> = {
    Q2_K: "Q2_K", Q3_K_S: "Q3_K", Q3_K_M: "Q3_K", Q3_K_L: "Q3_K", Q4_K_S: "Q4_K", Q4_K_M: "Q4_K",
    Q5_K_S: "Q5_K", Q5_K_M: "Q5_K", Q6_K: "Q6_K", Q8_0: "Q8_0", BF16: "BF16",
};

/** llama.cpp `use_more_bits` (integer arithmetic, as in C). */
export function useMoreBits(i: number, n: number): boolean {
    const e = Math.floor(n / 8);
    return i < e || i >= Math.floor((7 * n) / 8) || (i - e) % 3 === 2;
}

/** Fallback when a row (ne0) is not a multiple of the k-quant block of 256. */
function fallback(type: string): string {
    switch (type) {
        case "Q2_K": case "Q3_K": return "IQ4_NL";
        case "Q4_K": return "Q5_0";
        case "Q5_K": return "Q5_1";
        case "Q6_K": return "Q8_0";
        default: return type;
    }
}

type Role = "token_embd" | "output" | "attn_q" | "attn_k" | "attn_v" | "attn_output" | "ffn_up" | "ffn_down";

/** The type llama.cpp picks for one 2-D weight (GLM-4: 24 query heads per KV head, so n_gqa >= 4). */
export function quantTypeFor(quant: CatalogQuant, role: Role, layer: number, layers: number, nGqa: number): string {
    const def = DEFAULT_TYPE[quant];
    if (quant === "BF16" || quant === "Q8_0") return def;
    switch (role) {
        case "output": return "Q6_K";
        case "token_embd": return def;
        case "attn_v":
            if (quant === "Q2_K") return nGqa >= 4 ? "Q4_K" : "Q3_K";
            if (quant === "Q3_K_M") return layer < 2 ? "Q5_K" : "Q4_K";
            if (quant === "Q3_K_L") return "Q5_K";
            if ((quant === "Q4_K_M" || quant === "Q5_K_M") && useMoreBits(layer, layers)) return "Q6_K";
            if (quant === "Q4_K_S" && layer < 4) return "Q5_K";
            return def;
        case "ffn_down":
            if (quant === "Q2_K") return "Q3_K";
            if (quant === "Q3_K_M") return layer < Math.floor(layers / 16) ? "Q5_K" : "Q4_K";
            if (quant === "Q3_K_L") return "Q5_K";
            if ((quant === "Q4_K_M" || quant === "Q5_K_M") && useMoreBits(layer, layers)) return "Q6_K";
            if (quant === "Q4_K_S" && layer < Math.floor(layers / 8)) return "Q5_K";
            return def;
        case "attn_output":
            if (quant === "Q2_K") return "Q3_K";
            if (quant === "Q3_K_M") return "Q4_K";
            if (quant === "Q3_K_L") return "Q5_K";
            return def;
        default:
            return def;
    }
}

/** GLM-4-0414's tensors (llama.cpp arch `glm4`: fused gate+up in ffn_up, sandwich norms) at `quant`. */
export function glm4QuantTensors(a: Glm4Arch, quant: CatalogQuant): TensorLike[] {
    const E = a.embedding, Q = a.heads * a.headDim, KV = a.kvHeads * a.headDim, F = a.ffn;
    const nGqa = a.heads / a.kvHeads;
    const w = (name: string, role: Role, layer: number, dims: [number, number]): TensorLike => {
        let type = quantTypeFor(quant, role, layer, a.layers, nGqa);
        if (dims[0] % 256 !== 0) type = fallback(type);
        return { name, dims, type };
    };
    const vec = (name: string, n: number): TensorLike => ({ name, dims: [n], type: "F32" });
    const t: TensorLike[] = [w("token_embd.weight", "token_embd", 0, [E, a.vocab])];
    for (let i = 0; i < a.layers; i++) {
        const p = `blk.${i}.`;
        t.push(vec(p + "attn_norm.weight", E), w(p + "attn_q.weight", "attn_q", i, [E, Q]), w(p + "attn_k.weight", "attn_k", i, [E, KV]),
            w(p + "attn_v.weight", "attn_v", i, [E, KV]));
        if (a.qkvBias) t.push(vec(p + "attn_q.bias", Q), vec(p + "attn_k.bias", KV), vec(p + "attn_v.bias", KV));
        t.push(w(p + "attn_output.weight", "attn_output", i, [Q, E]), vec(p + "post_attention_norm.weight", E), vec(p + "ffn_norm.weight", E),
            w(p + "ffn_up.weight", "ffn_up", i, [E, 2 * F]), w(p + "ffn_down.weight", "ffn_down", i, [F, E]), vec(p + "post_ffw_norm.weight", E));
    }
    t.push(vec("output_norm.weight", E), w("output.weight", "output", a.layers, [E, a.vocab]));
    return t;
}
