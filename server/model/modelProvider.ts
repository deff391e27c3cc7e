/**
 * How features get the model: one loaded model shared by all features (a later issue adds a second, smaller
 * completion model: `acquire("completion")` may then return it). The implementation (`modelHost.ts`) owns
 * loading, reloading on settings change, progress, validation, memory fallback and idle unload.
 */
import type { ModelStatus } from "../protocol/status";
import type { LanguageModel } from "./languageModel";

export type ModelRole = "completion" | "chat";

export interface ModelProvider {
    /**
     * The model for a role, waiting while it downloads/loads (loading on demand if it was unloaded).
     * Rejects with `glm4Error("ModelNotLoaded" | "BadModel" | "OutOfMemory", ...)` when there is none, or when
     * `signal` aborts first.
     */
    acquire(role: ModelRole, signal?: AbortSignal): Promise<LanguageModel>;
    /** The current status (also pushed to the client as StatusNotification). */
    readonly status: ModelStatus;
    onDidChangeStatus(listener: (status: ModelStatus) => void): { dispose(): void };
    /** Unload and load again with the current settings. Resolves with the final status. */
    reload(): Promise<ModelStatus>;
    dispose(): Promise<void>;
}
