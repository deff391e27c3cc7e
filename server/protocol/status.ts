/**
 * Server status: model lifecycle and last-request metrics, for the status bar. LSP has no such concept.
 * Model loading itself is also reported with standard `window/workDoneProgress`.
 */
import { MessageDirection, NotificationType, RequestType0 } from "vscode-languageserver-protocol";

export type ModelState = "idle" | "downloading" | "loading" | "ready" | "error" | "unloaded";

export interface ModelStatus {
    state: ModelState;
    /** Human-readable model name (from GGUF `general.name` or the file name). */
    modelName?: string;
    /** What the GPU/CPU choice was, in one sentence (e.g. "CUDA, 61/61 layers on NVIDIA H100, 32768 context"). */
    device?: string;
    /** Loaded context size in tokens. */
    contextSize?: number;
    /** When state is "error": what went wrong and what to do. */
    error?: string;
    /** When downloading/loading: 0..1. */
    progress?: number;
    /** The optional completion model (glm4.completionModel) in one sentence: loading, ready, or why it is not used. */
    completionModel?: string;
    /** The optional draft model (glm4.draftModel) in one sentence: loading, accepted/rejected draft tokens, or why not used. */
    draftModel?: string;
}

/**
 * The server's model status changed (server -> client). Sent on every state change.
 * Params: ModelStatus. No result.
 */
export namespace StatusNotification {
    export const method = "glm4/status";
    export const messageDirection = MessageDirection.serverToClient;
    export const type = new NotificationType<ModelStatus>(method);
}

/**
 * Ask for the current status (client -> server). Params: none. Result: ModelStatus. Errors: none.
 */
export namespace StatusRequest {
    export const method = "glm4/getStatus";
    export const messageDirection = MessageDirection.clientToServer;
    export const type = new RequestType0<ModelStatus, void>(method);
}

/**
 * Reload the model with the current settings (client -> server), e.g. after an error was fixed.
 * Params: none. Result: ModelStatus once loading finished (ready or error). Errors: none (failures are in the status).
 */
export namespace ReloadModelRequest {
    export const method = "glm4/reloadModel";
    export const messageDirection = MessageDirection.clientToServer;
    export const type = new RequestType0<ModelStatus, void>(method);
}
