/**
 * GPU planner and model storage: what a model needs in VRAM at each quantization and context, what this
 * machine should run, and the downloaded model files. LSP has no such concepts. Imports nothing but protocol
 * types; the webview (media/planner) renders `RequirementsResult` as it is.
 */
import { MessageDirection, RequestType } from "vscode-languageserver-protocol";

/** Bytes, split by what uses them. */
export interface MemoryBreakdown { weights: number; kvCache: number; compute: number; overhead: number; total: number }

export interface DetectedGpus {
    /** node-llama-cpp's backend ("cuda" | "vulkan" | "metal"), or false: CPU only. */
    gpuType: string | false;
    names: string[];
    vramTotal: number;
    /** Free VRAM to plan with: what the driver reports plus what the loaded GLM-4 model holds (`heldByModel`). */
    vramFree: number;
    /** Estimated VRAM the currently loaded model holds (counted as free: a new choice replaces it). */
    heldByModel?: number;
    ramTotal: number;
    ramFree: number;
    cpuCores: number;
}

/** A column to compare against: a common VRAM size. */
export interface GpuClassColumn { label: string; example: string; usableBytes: number }

export interface RequirementsCell {
    contextSize: number;
    /** Beyond the native context: YaRN factor needed (RoPE scaling through metadata overrides). */
    yarnFactor?: number;
    vram: MemoryBreakdown;
    ram: MemoryBreakdown;
    /** Fits the detected GPU's free VRAM (with headroom) fully; undefined when no GPU was detected. */
    fitsDetected?: boolean;
    /** Fits each of `RequirementsResult.classes`, in order. */
    fitsClasses: boolean[];
}

export interface RequirementsRow {
    /** `hf:` URI (catalog) or the file/URL that was read. */
    uri: string;
    modelName: string;
    quant: string;
    fileBytes: number;
    /** "published": the hub's size; "derived": computed from llama.cpp's quantization rules; "file": read from the GGUF. */
    sizeSource: "published" | "derived" | "file";
    cells: RequirementsCell[];
    recommended: boolean;
}

export interface RequirementsParams {
    /** A local .gguf path, an http(s) URL or an `hf:` URI to read the header of; absent: the built-in GLM-4 catalog. */
    gguf?: string;
    /** Context sizes (columns), 1024..131072; default 4K, 8K, 16K, 32K, 64K, 128K. */
    contexts?: number[];
    /** Default "f16". */
    kvCacheType?: "f16" | "q8_0";
    /** Default true. */
    flashAttention?: boolean;
}

export interface RequirementsResult {
    contexts: number[];
    kvCacheType: "f16" | "q8_0";
    flashAttention: boolean;
    /** llama.cpp contexts per model the numbers are for (the local engine: one each for completion and chat). */
    engineContexts: number;
    /** The model's native context (beyond it: YaRN). */
    nativeContext: number;
    detected: DetectedGpus;
    /** Bytes kept free on the detected GPU when judging "fits". */
    headroom: number;
    classes: GpuClassColumn[];
    rows: RequirementsRow[];
    /** The chooser's pick for this machine (catalog only). */
    recommended?: { uri: string; contextSize: number; gpuLayers: number; explanation: string };
    /** How the numbers are made, in a few sentences (shown under the table). */
    notes: string[];
}

/**
 * VRAM/RAM requirements table (client -> server): rows = model variants, columns = context sizes.
 * Params: RequirementsParams. Result: RequirementsResult.
 * Errors: InvalidParams (bad context / type), BadModel (the GGUF could not be read), DownloadFailed (URL).
 * Cancel: the request token aborts reading a remote header.
 */
export namespace RequirementsRequest {
    export const method = "glm4/planner/requirements";
    export const messageDirection = MessageDirection.clientToServer;
    export const type = new RequestType<RequirementsParams, RequirementsResult, void>(method);
}

/** Settings a choice writes (the `glm4` section keys). */
export interface ChoiceSettings { model: string; contextSize: number; gpuLayers: number }

export interface ChoiceOption {
    settings: ChoiceSettings;
    /** Short label ("GLM-4-32B-0414 Q4_K_M, 32K, all layers on the GPU"). */
    label: string;
    /** One sentence with VRAM and expected speed. */
    detail: string;
    decodeTokS: number;
}

/** What the planner chose on the first run (pristine settings), and why. */
export interface FirstRunRecord { uri: string; contextSize: number; explanation: string; /** ISO time. */ at: string }

export interface ChooseResult {
    detected: DetectedGpus;
    /** The recommended choice. */
    recommended: ChoiceOption;
    /** One sentence: what was chosen and why. */
    explanation: string;
    /** Other options the user may pick instead (alternative offload, other quantizations that fit). */
    options: ChoiceOption[];
    /** GLM-4-9B as the inline completion model (`glm4.completionModel`), when it fits beside the main one. */
    completionModel?: ChoiceOption;
    /** The first-run choice the model host loaded (pristine settings), if the planner made one. */
    firstRun?: FirstRunRecord;
}

/**
 * What this machine should run (client -> server): detects GPUs and free memory, picks model, context and GPU
 * layers. Params: none. Result: ChooseResult. The client writes the chosen settings. Errors: Internal.
 */
export namespace ChooseModelRequest {
    export const method = "glm4/planner/choose";
    export const messageDirection = MessageDirection.clientToServer;
    export const type = new RequestType<void, ChooseResult, void>(method);
}

export interface StoredModel {
    /** Absolute path of the .gguf file. */
    path: string;
    fileName: string;
    bytes: number;
    /** The `hf:` URI it was downloaded from, when known. */
    uri?: string;
    /** SHA-256 verified against the hub at download time. */
    sha256?: string;
    /** ISO time of the download. */
    downloadedAt?: string;
    /** It is the model the current settings load. */
    inUse: boolean;
    /** An interrupted download (`.partial`), resumable. */
    partial: boolean;
}

export interface ListModelsResult { storagePath: string; models: StoredModel[]; freeDiskBytes?: number }

/** Downloaded models (client -> server). Params: none. Result: ListModelsResult. Errors: none. */
export namespace ListModelsRequest {
    export const method = "glm4/models/list";
    export const messageDirection = MessageDirection.clientToServer;
    export const type = new RequestType<void, ListModelsResult, void>(method);
}

export interface DeleteModelParams { path: string }
export interface DeleteModelResult { deleted: boolean; freedBytes: number }

/**
 * Delete a downloaded model file (and its partial/metadata files) (client -> server).
 * Params: DeleteModelParams (a path from ListModelsResult). Result: DeleteModelResult.
 * Errors: InvalidParams (path outside the model store), Busy (the file is loaded now: unload or switch first).
 */
export namespace DeleteModelRequest {
    export const method = "glm4/models/delete";
    export const messageDirection = MessageDirection.clientToServer;
    export const type = new RequestType<DeleteModelParams, DeleteModelResult, void>(method);
}
