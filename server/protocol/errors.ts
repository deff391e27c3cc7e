/**
 * Errors that cross LSP. Every failing request answers a `ResponseError` whose `data` is `Glm4ErrorData`, so
 * the client can react by kind. Cancellation uses LSP's own `RequestCancelled` (-32800), which clients swallow.
 * This module imports nothing but protocol types.
 */
import { ResponseError } from "vscode-languageserver-protocol";

export const ErrorKinds = [
    /** No model is loaded (still loading, failed, or unloaded). */
    "ModelNotLoaded",
    /** The model file is missing, not GGUF, truncated, corrupt, or of an unsupported shape. */
    "BadModel",
    /** The prompt does not fit the context even after truncation. */
    "ContextOverflow",
    /** The model or context could not be allocated (VRAM/RAM). */
    "OutOfMemory",
    /** The document or file changed under a proposed edit. */
    "EditConflict",
    /** Another request holds the resource. */
    "Busy",
    /** Bad parameters (shape, range). */
    "InvalidParams",
    /** A download failed (network, disk full, hash mismatch). */
    "DownloadFailed",
    /** Anything else; the message says what. */
    "Internal",
] as const;
export type ErrorKind = (typeof ErrorKinds)[number];

export interface Glm4ErrorData {
    kind: ErrorKind;
    /** Optional machine-readable detail (e.g. the offending path). */
    detail?: string;
}

/** LSP error codes: ServerNotInitialized-ish range is reserved, so use the implementation-defined range. */
export const GLM4_ERROR_CODE = -32001;

export function glm4Error(kind: ErrorKind, message: string, detail?: string): ResponseError<Glm4ErrorData> {
    return new ResponseError<Glm4ErrorData>(GLM4_ERROR_CODE, message, detail === undefined ? { kind } : { kind, detail });
}

export function isGlm4ErrorData(v: unknown): v is Glm4ErrorData {
    return typeof v === "object" && v !== null && typeof (v as { kind?: unknown }).kind === "string"
        && (ErrorKinds as readonly string[]).includes((v as { kind: string }).kind);
}
