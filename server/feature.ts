/**
 * A server feature: a small unit that declares its capabilities and registers its handlers. The composition
 * root (`server.ts`) builds the features and hands each the same `ServerContext`.
 */
import type { ClientCapabilities, Connection, ServerCapabilities, TextDocuments } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { ModelProvider } from "./model/modelProvider";
import type { SettingsStore } from "./settings";
import type { Logger } from "./logger";

export interface ServerContext {
    readonly connection: Connection;
    readonly documents: TextDocuments<TextDocument>;
    readonly settings: SettingsStore;
    readonly models: ModelProvider;
    readonly log: Logger;
    /** Where the server may keep files (downloaded models, caches); from initializationOptions.storagePath. */
    readonly storagePath: string;
    /** Per-workspace storage (chat history), from initializationOptions.workspaceStoragePath; undefined without a workspace. */
    readonly workspaceStoragePath?: string;
}

export interface Feature {
    readonly name: string;
    /** Capabilities this feature adds to the initialize result. */
    capabilities?(client: ClientCapabilities): ServerCapabilities;
    /** Register handlers. Called once, before the connection listens. */
    register(ctx: ServerContext): void;
    dispose?(): void | Promise<void>;
}
