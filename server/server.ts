/**
 * The composition root: `startServer(connection, options)` builds the settings store, the model provider and
 * the features, wires them to one LSP connection and starts listening. No module globals: everything the
 * server holds hangs off the object this returns, so tests run many servers in one process.
 */
import { TextDocuments, type Connection, type InitializeResult, type ServerCapabilities, TextDocumentSyncKind, DidChangeConfigurationNotification } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Feature, ServerContext } from "./feature";
import { connectionLogger, type Logger } from "./logger";
import { MutableSettingsStore, resolveSettings } from "./settings";
import { SETTINGS_SECTION } from "./protocol/settings";
import { ReloadModelRequest, StatusNotification, StatusRequest } from "./protocol/status";
import type { ModelProvider } from "./model/modelProvider";
import { createModelHost } from "./model/modelHost";
import { defaultFeatures } from "./features";
import { defaultStoragePath } from "./storage";

export interface ServerOptions {
    /** Replaces the default model host (tests of pure protocol paths only). */
    models?: (ctx: Omit<ServerContext, "models">) => ModelProvider;
    /** Replaces the default feature list. */
    features?: (ctx: Omit<ServerContext, "models">) => Feature[];
    logger?: Logger;
}

export interface RunningServer {
    readonly context: ServerContext;
    readonly features: readonly Feature[];
    dispose(): Promise<void>;
}

function mergeCapabilities(base: ServerCapabilities, add: ServerCapabilities): ServerCapabilities {
    return { ...base, ...add, experimental: { ...(base.experimental as object), ...(add.experimental as object) } };
}

export function startServer(connection: Connection, options: ServerOptions = {}): RunningServer {
    const log = options.logger ?? connectionLogger(connection, process.env.GLM4_DEBUG === "1");
    const documents = new TextDocuments(TextDocument);
    const settings = new MutableSettingsStore();
    let storagePath = defaultStoragePath();
    let workspaceStoragePath: string | undefined;
    const partial = {
        connection, documents, settings, log,
        get storagePath(): string { return storagePath; },
        get workspaceStoragePath(): string | undefined { return workspaceStoragePath; },
    };
    const models = (options.models ?? createModelHost)(partial);
    const context: ServerContext = Object.assign(partial, { models });
    const features = (options.features ?? defaultFeatures)(partial);
    let pullConfiguration = false;

    const applyRaw = (raw: unknown, source: string): void => {
        const { settings: next, problems } = resolveSettings(raw, settings.get());
        for (const p of problems) log.warn(`settings (${source}): ${p}; using the default`);
        settings.set(next);
    };

    connection.onInitialize((params): InitializeResult => {
        const init = (params.initializationOptions ?? {}) as { settings?: unknown; storagePath?: unknown; workspaceStoragePath?: unknown };
        if (typeof init.storagePath === "string" && init.storagePath) storagePath = init.storagePath;
        if (typeof init.workspaceStoragePath === "string" && init.workspaceStoragePath) workspaceStoragePath = init.workspaceStoragePath;
        if (init.settings !== undefined) applyRaw(init.settings, "initializationOptions");
        pullConfiguration = !!params.capabilities.workspace?.configuration;
        let capabilities: ServerCapabilities = { textDocumentSync: TextDocumentSyncKind.Incremental };
        for (const f of features) if (f.capabilities) capabilities = mergeCapabilities(capabilities, f.capabilities(params.capabilities));
        return { capabilities, serverInfo: { name: "glm4-code", version: "0.1.0" } };
    });

    const pull = async (): Promise<void> => {
        if (!pullConfiguration) return;
        try {
            const [raw] = await connection.workspace.getConfiguration([{ section: SETTINGS_SECTION }]);
            applyRaw(raw, "workspace/configuration");
        } catch (e) {
            log.warn(`could not read workspace/configuration: ${(e as Error).message}`);
        }
    };

    connection.onInitialized(async () => {
        if (pullConfiguration) {
            void connection.client.register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION }).catch(() => undefined);
            await pull();
        }
        void models.reload();
    });
    connection.onDidChangeConfiguration((change) => {
        if (pullConfiguration) void pull();
        else applyRaw((change.settings as Record<string, unknown> | undefined)?.[SETTINGS_SECTION], "didChangeConfiguration");
    });

    models.onDidChangeStatus((s) => void connection.sendNotification(StatusNotification.type, s));
    connection.onRequest(StatusRequest.type, () => models.status);
    connection.onRequest(ReloadModelRequest.type, () => models.reload());

    for (const f of features) f.register(context);
    documents.listen(connection);

    let disposed = false;
    connection.onShutdown(async () => { await dispose(); });
    async function dispose(): Promise<void> {
        if (disposed) return;
        disposed = true;
        for (const f of features) await f.dispose?.();
        await models.dispose();
    }
    return { context, features, dispose };
}
