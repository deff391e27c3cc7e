/**
 * A real LSP client/server pair in one process, for server tests (completion, chat, planner...).
 *
 * The server side is vscode-languageserver's own `createConnection` running `startServer(connection, options)`
 * from server/server.ts; the client side is a vscode-jsonrpc `MessageConnection`. They talk JSON-RPC over a
 * worker_threads `MessageChannel` (structured-cloned messages, asynchronous delivery, like a real transport).
 * Nothing is mocked: initialize/initialized, workspace/configuration, didOpen/didChange, requests, `$/cancelRequest`
 * and notifications all cross the wire.
 *
 * Usage:
 *   const h = await LspHarness.start({ settings: { model: fixtureModelPath(), threads: testThreads(), gpuLayers: 0 } });
 *   const doc = h.open("src/a.ts", "function f() {\n  return \n}\n");
 *   const list = await h.inlineCompletion(doc, positionOf(doc, "return ", { after: true }));
 *   await h.dispose();
 *
 * Rules: never hand-count positions (use `positionOf`); the harness never sends `exit` (the server's watchdog
 * would end the test process); `dispose()` shuts the server down and closes the channel.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MessageChannel } from "node:worker_threads";
import { createConnection } from "vscode-languageserver/node";
import {
    CancellationTokenSource, DidChangeConfigurationNotification, DidChangeTextDocumentNotification, DidCloseTextDocumentNotification,
    DidOpenTextDocumentNotification, InitializedNotification, InitializeRequest, InlineCompletionRequest,
    InlineCompletionTriggerKind, PortMessageReader, PortMessageWriter, ShutdownRequest, createMessageConnection,
    type CancellationToken, type ClientCapabilities, type InitializeResult, type InlineCompletionItem, type InlineCompletionList,
    type MessageConnection, type NotificationType, type Position, type Range, type RequestType,
} from "vscode-languageserver-protocol/node";
import { startServer, type RunningServer, type ServerOptions } from "../../server/server";
import { SETTINGS_SECTION } from "../../server/protocol/settings";
import { StatusNotification, StatusRequest, type ModelStatus } from "../../server/protocol/status";

/** Settings as the client sends them: any subset of the `glm4` section (nested objects for sub-sections). */
export type SettingsInput = Record<string, unknown>;

export interface HarnessOptions {
    /** The `glm4` section: sent as initializationOptions.settings and answered to workspace/configuration. */
    settings?: SettingsInput;
    /** initializationOptions.storagePath (default: a fresh temporary folder, removed on dispose). */
    storagePath?: string;
    /** Extra initializationOptions (merged after settings/storagePath). */
    initializationOptions?: Record<string, unknown>;
    /** Passed to startServer (replace features or the model provider, inject a logger). */
    server?: ServerOptions;
    /** Whether the client advertises workspace/configuration (default true). */
    configuration?: boolean;
    /** Extra client capabilities (shallow-merged over the defaults). */
    capabilities?: ClientCapabilities;
    /** Workspace folder URI (default file:///workspace). */
    rootUri?: string;
}

/** A document the client has open. `text` and `version` track what the server was sent. */
export interface OpenDocument {
    readonly uri: string;
    readonly languageId: string;
    version: number;
    text: string;
}

export interface ReceivedNotification {
    readonly method: string;
    readonly params: unknown;
}

export interface PendingRequest<R> {
    readonly promise: Promise<R>;
    /** Cancels through the token: the client sends `$/cancelRequest`. */
    cancel(): void;
}

/** Where `marker` is in `text` (or an open document): its start, or just after it with `after: true`. */
export function positionOf(doc: string | { text: string }, marker: string, options: { after?: boolean; occurrence?: number } = {}): Position {
    const text = typeof doc === "string" ? doc : doc.text;
    return positionAt(text, offsetOf(text, marker, options));
}

/** Offset of `marker` in `text` (the n-th occurrence, 0-based), or just after it. Throws when absent. */
export function offsetOf(text: string, marker: string, options: { after?: boolean; occurrence?: number } = {}): number {
    let at = -1;
    for (let n = 0; n <= (options.occurrence ?? 0); n++) {
        at = text.indexOf(marker, at + 1);
        if (at < 0) throw new Error(`marker ${JSON.stringify(marker)} (occurrence ${options.occurrence ?? 0}) not found`);
    }
    return options.after ? at + marker.length : at;
}

/** LSP position (UTF-16 units) of an offset. */
export function positionAt(text: string, offset: number): Position {
    const before = text.slice(0, offset);
    const line = before.split("\n").length - 1;
    return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

/** Offset of an LSP position. */
export function offsetAt(text: string, pos: Position): number {
    let offset = 0;
    for (let l = 0; l < pos.line; l++) {
        const nl = text.indexOf("\n", offset);
        if (nl < 0) return text.length;
        offset = nl + 1;
    }
    return Math.min(offset + pos.character, text.length);
}

function deepMerge(base: SettingsInput, add: SettingsInput): SettingsInput {
    const out: SettingsInput = { ...base };
    for (const [k, v] of Object.entries(add)) {
        const b = out[k];
        out[k] = v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b)
            ? deepMerge(b as SettingsInput, v as SettingsInput) : v;
    }
    return out;
}

export class LspHarness {
    /** Every notification the server sent, in order. */
    readonly notifications: ReceivedNotification[] = [];
    /** window/logMessage lines ("error|warn|info|log: message"). */
    readonly logs: string[] = [];
    /** Requests the server sent to the client (method + params), in order. */
    readonly serverRequests: ReceivedNotification[] = [];
    private readonly waiters = new Set<(n: ReceivedNotification) => void>();
    private readonly requestHandlers = new Map<string, (params: unknown) => unknown>();
    private readonly docs = new Map<string, OpenDocument>();
    private settingsValue: SettingsInput;
    private disposed = false;
    initializeResult!: InitializeResult;

    private constructor(
        readonly client: MessageConnection,
        readonly server: RunningServer,
        private readonly serverConnection: { dispose(): void },
        private readonly ports: { close(): void }[],
        private readonly tempDir: string | undefined,
        readonly storagePath: string,
        settings: SettingsInput,
        readonly rootUri: string,
    ) {
        this.settingsValue = settings;
    }

    /** Creates the pair, starts the server, runs initialize + initialized. */
    static async start(options: HarnessOptions = {}): Promise<LspHarness> {
        const { port1, port2 } = new MessageChannel();
        const serverConnection = createConnection(new PortMessageReader(port1), new PortMessageWriter(port1));
        const server = startServer(serverConnection, options.server);
        serverConnection.listen();
        const client = createMessageConnection(new PortMessageReader(port2), new PortMessageWriter(port2));
        const tempDir = options.storagePath ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "glm4-lsp-"));
        const storagePath = options.storagePath ?? tempDir!;
        const h = new LspHarness(client, server, serverConnection, [port1, port2], tempDir, storagePath, options.settings ?? {}, options.rootUri ?? "file:///workspace");
        h.listen();
        const capabilities: ClientCapabilities = {
            workspace: { configuration: options.configuration ?? true, didChangeConfiguration: { dynamicRegistration: true }, workspaceEdit: { documentChanges: true } },
            textDocument: { synchronization: { dynamicRegistration: false }, inlineCompletion: { dynamicRegistration: false } },
            window: { workDoneProgress: true },
            ...options.capabilities,
        };
        h.initializeResult = await client.sendRequest(InitializeRequest.type, {
            processId: null, rootUri: h.rootUri, capabilities,
            workspaceFolders: [{ uri: h.rootUri, name: "workspace" }],
            initializationOptions: { settings: options.settings ?? {}, storagePath, ...options.initializationOptions },
        });
        await client.sendNotification(InitializedNotification.type, {});
        return h;
    }

    private listen(): void {
        this.client.onNotification((method, params) => {
            const n = { method, params };
            this.notifications.push(n);
            if (method === "window/logMessage") {
                const p = params as { type: number; message: string };
                this.logs.push(`${["", "error", "warn", "info", "log", "debug"][p.type] ?? p.type}: ${p.message}`);
            }
            for (const w of [...this.waiters]) w(n);
        });
        this.client.onRequest((method, params) => {
            this.serverRequests.push({ method, params });
            const custom = this.requestHandlers.get(method);
            if (custom) return custom(params);
            switch (method) {
                case "workspace/configuration": {
                    const items = (params as { items: { section?: string }[] }).items;
                    return items.map((i) => (i.section === SETTINGS_SECTION || i.section === undefined ? this.settingsValue : null));
                }
                case "client/registerCapability":
                case "client/unregisterCapability":
                case "window/workDoneProgress/create":
                case "window/showMessageRequest":
                    return null;
                case "workspace/applyEdit":
                    return { applied: false, failureReason: "the test harness applies no edits (install a handler with onServerRequest)" };
                default:
                    return null;
            }
        });
        this.client.listen();
    }

    /** Answers a server -> client request with `handler` (e.g. "workspace/applyEdit"). */
    onServerRequest(method: string, handler: (params: unknown) => unknown): void {
        this.requestHandlers.set(method, handler);
    }

    /** The current `glm4` settings section the client answers with. */
    get settings(): SettingsInput {
        return this.settingsValue;
    }

    /** Merges `change` into the settings and tells the server (it pulls workspace/configuration again). */
    async updateSettings(change: SettingsInput): Promise<void> {
        this.settingsValue = deepMerge(this.settingsValue, change);
        await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SETTINGS_SECTION]: this.settingsValue } });
    }

    /** A running feature by name (`InlineCompletionFeature` is "inlineCompletion"). */
    feature<T>(name: string): T {
        const f = this.server.features.find((x) => x.name === name);
        if (!f) throw new Error(`no feature ${name}; have ${this.server.features.map((x) => x.name).join(", ")}`);
        return f as T;
    }

    // ---- documents ----------------------------------------------------------------------------------------

    /** URI for a workspace-relative path (or the URI itself). */
    uri(p: string): string {
        return /^[a-z][a-z0-9+.-]*:/i.test(p) ? p : `${this.rootUri.replace(/\/$/, "")}/${p}`;
    }

    /** Opens a document (didOpen). */
    open(p: string, text: string, languageId = "typescript"): OpenDocument {
        const doc: OpenDocument = { uri: this.uri(p), languageId, version: 1, text };
        this.docs.set(doc.uri, doc);
        void this.client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: doc.uri, languageId, version: 1, text } });
        return doc;
    }

    /** Replaces `range` (or inserts at a position) with `text`: one incremental didChange. */
    edit(doc: OpenDocument, range: Range | Position, text: string): void {
        const r: Range = "line" in range ? { start: range, end: range } : range;
        const start = offsetAt(doc.text, r.start);
        const end = offsetAt(doc.text, r.end);
        doc.text = doc.text.slice(0, start) + text + doc.text.slice(end);
        doc.version++;
        void this.client.sendNotification(DidChangeTextDocumentNotification.type, {
            textDocument: { uri: doc.uri, version: doc.version },
            contentChanges: [{ range: r, text }],
        });
    }

    /** Inserts `text` at a position and returns the position after it (typing). */
    type(doc: OpenDocument, at: Position, text: string): Position {
        this.edit(doc, at, text);
        return positionAt(doc.text, offsetAt(doc.text, at) + text.length);
    }

    /** Replaces the whole text (a full-content didChange). */
    replaceAll(doc: OpenDocument, text: string): void {
        doc.text = text;
        doc.version++;
        void this.client.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: doc.uri, version: doc.version }, contentChanges: [{ text }] });
    }

    close(doc: OpenDocument): void {
        this.docs.delete(doc.uri);
        void this.client.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: doc.uri } });
    }

    // ---- requests -----------------------------------------------------------------------------------------

    /** Any typed request. */
    request<P, R>(type: RequestType<P, R, unknown>, params: P, token?: CancellationToken): Promise<R> {
        const send = this.client.sendRequest as (t: RequestType<P, R, unknown>, p: P, c?: CancellationToken) => Promise<R>;
        return send.call(this.client, type, params, token);
    }

    /** Starts a typed request that the test may cancel (`$/cancelRequest`). */
    startRequest<P, R>(type: RequestType<P, R, unknown>, params: P): PendingRequest<R> {
        const source = new CancellationTokenSource();
        const promise = this.request(type, params, source.token);
        return { promise, cancel: () => source.cancel() };
    }

    private inlineParams(doc: OpenDocument, position: Position, triggerKind: InlineCompletionTriggerKind) {
        return { textDocument: { uri: doc.uri }, position, context: { triggerKind } };
    }

    /** textDocument/inlineCompletion at a position (automatic trigger unless said). */
    inlineCompletion(doc: OpenDocument, position: Position, triggerKind: InlineCompletionTriggerKind = InlineCompletionTriggerKind.Automatic): Promise<InlineCompletionList | InlineCompletionItem[] | null> {
        return this.client.sendRequest(InlineCompletionRequest.type, this.inlineParams(doc, position, triggerKind));
    }

    /** The same, cancellable. */
    startInlineCompletion(doc: OpenDocument, position: Position, triggerKind: InlineCompletionTriggerKind = InlineCompletionTriggerKind.Automatic): PendingRequest<InlineCompletionList | InlineCompletionItem[] | null> {
        return this.startRequest(InlineCompletionRequest.type as unknown as RequestType<unknown, InlineCompletionList | InlineCompletionItem[] | null, unknown>, this.inlineParams(doc, position, triggerKind));
    }

    // ---- notifications ------------------------------------------------------------------------------------

    /** Params of every notification of a type received so far. */
    received<P>(type: NotificationType<P>): P[] {
        return this.notifications.filter((n) => n.method === type.method).map((n) => n.params as P);
    }

    /**
     * Resolves with the first notification of `type` (received from now on, or already received when
     * `includePast`) that satisfies `predicate`; rejects after `timeoutMs`.
     */
    waitFor<P>(type: NotificationType<P>, predicate: (p: P) => boolean = () => true, options: { timeoutMs?: number; includePast?: boolean } = {}): Promise<P> {
        if (options.includePast) {
            const past = this.received(type).find(predicate);
            if (past !== undefined) return Promise.resolve(past);
        }
        return new Promise<P>((resolve, reject) => {
            const timer = setTimeout(() => {
                this.waiters.delete(waiter);
                reject(new Error(`no ${type.method} notification within ${options.timeoutMs ?? 30_000} ms; logs:\n${this.logs.slice(-20).join("\n")}`));
            }, options.timeoutMs ?? 30_000);
            const waiter = (n: ReceivedNotification) => {
                if (n.method !== type.method || !predicate(n.params as P)) return;
                clearTimeout(timer);
                this.waiters.delete(waiter);
                resolve(n.params as P);
            };
            this.waiters.add(waiter);
        });
    }

    /** Waits until the model status is one of `states` (default: ready or error) and returns it. */
    async waitForModel(states: readonly ModelStatus["state"][] = ["ready", "error"], timeoutMs = 60_000): Promise<ModelStatus> {
        const next = this.waitFor(StatusNotification.type, (s) => states.includes(s.state), { timeoutMs });
        const now = await this.client.sendRequest(StatusRequest.type);
        if (states.includes(now.state)) {
            next.catch(() => undefined);
            return now;
        }
        return next;
    }

    /** Shuts the server down (LSP shutdown; never exit) and closes both ends. */
    async dispose(): Promise<void> {
        if (this.disposed) return;
        this.disposed = true;
        try {
            await Promise.race([this.client.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 10_000))]);
        } catch { /* already gone */ }
        await this.server.dispose();
        this.client.dispose();
        this.serverConnection.dispose();
        for (const p of this.ports) p.close();
        if (this.tempDir) fs.rmSync(this.tempDir, { recursive: true, force: true });
    }
}
