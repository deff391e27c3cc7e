/**
 * Messages between the planner webview and the extension (DOM- and vscode-free; both sides import it).
 * The extension pushes the data; the webview asks for a refresh or a model choice. Every message from the
 * webview is shape-checked by `checkFromWebview` before anything acts on it.
 */
import type { RequirementsResult } from "../../server/protocol/planner";

export type ToWebview =
    | { type: "loading" }
    | { type: "data"; data: RequirementsResult }
    | { type: "error"; message: string };

export type FromWebview =
    /** The view is ready for data. */
    | { type: "ready" }
    /** Recompute with another KV cache type. */
    | { type: "refresh"; kvCacheType: "f16" | "q8_0" }
    /** Use this variant and context (the extension writes the settings after asking). */
    | { type: "use"; uri: string; contextSize: number }
    /** Open the "Choose Model for This GPU" picker. */
    | { type: "chooseModel" };

/** The message, or undefined when it has the wrong shape. */
export function checkFromWebview(v: unknown): FromWebview | undefined {
    if (typeof v !== "object" || v === null) return undefined;
    const m = v as Record<string, unknown>;
    switch (m.type) {
        case "ready":
        case "chooseModel":
            return { type: m.type };
        case "refresh":
            return m.kvCacheType === "f16" || m.kvCacheType === "q8_0" ? { type: "refresh", kvCacheType: m.kvCacheType } : undefined;
        case "use":
            return typeof m.uri === "string" && /^hf:[\w.-]+\/[\w.-]+:[\w]+$/.test(m.uri)
                && typeof m.contextSize === "number" && Number.isInteger(m.contextSize) && m.contextSize >= 1024 && m.contextSize <= 131072
                ? { type: "use", uri: m.uri, contextSize: m.contextSize }
                : undefined;
        default:
            return undefined;
    }
}
