/**
 * Inline completion uses standard LSP `textDocument/inlineCompletion` (3.18). This module adds only what LSP
 * lacks: per-suggestion metrics for the status bar. Imports nothing but protocol types.
 */
import { MessageDirection, NotificationType } from "vscode-languageserver-protocol";

export interface CompletionMetrics {
    /** Server-side latency of the request, ms (request received -> items returned). */
    latencyMs: number;
    /** Generation speed of this suggestion (0 when served from cache). */
    tokensPerSecond: number;
    generatedTokens: number;
    /** Prompt tokens found in the KV cache / evaluated for this request. */
    reusedPromptTokens: number;
    evaluatedPromptTokens: number;
    /** Served from the typed-through cache without touching the model. */
    cached: boolean;
}

/**
 * Metrics of the last inline completion (server -> client), sent after each request that returned items.
 * Params: CompletionMetrics. No result.
 */
export namespace CompletionMetricsNotification {
    export const method = "glm4/completionMetrics";
    export const messageDirection = MessageDirection.serverToClient;
    export const type = new NotificationType<CompletionMetrics>(method);
}
