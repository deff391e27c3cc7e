/**
 * Builds the LanguageClient for `out/server.js` (Node IPC). Errors never pop up from here: the client logs
 * them to the "GLM-4" channel and `ServerHost` (serverHost.ts) decides what the user sees, once.
 */
import * as path from "node:path";
import * as readline from "node:readline";
import * as vscode from "vscode";
import {
    LanguageClient,
    RevealOutputChannelOn,
    TransportKind,
    type ErrorHandler,
    type LanguageClientOptions,
    type Middleware,
    type ServerOptions,
} from "vscode-languageclient/node";
import { settingsSection } from "./config";
import type { CrashLog } from "./serverHealth";

/** The client id: VS Code's "Developer: Set Log Level" on the GLM-4 channel at Trace traces the LSP messages. */
export const CLIENT_ID = "glm4";
export const CLIENT_NAME = "GLM-4";

/**
 * What the client library and ServerHost log about requests and the connection itself. They say nothing
 * about why the process died, unlike the server's own error log lines, which the crash log keeps.
 */
const CLIENT_OWN = /^(Request \S+ failed|Connection to server|Restarting server failed|Stopping server failed|Handling connection close failed|Sending notification|Client GLM-4|GLM-4 )/;

/** The library's message when start() failed; its data (e.g. an initialize error) is worth keeping... */
const START_FAILED = /couldn't create connection to server/;
/** ...unless it only says that the connection went away, which the process's own last words explain better. */
const DISPOSED = /disposed|closed|Pending response rejected/i;

/** A LanguageClient that never shows notifications itself and tells the crash log what it logged as errors. */
export class Glm4LanguageClient extends LanguageClient {
    constructor(
        serverOptions: ServerOptions,
        clientOptions: LanguageClientOptions,
        private readonly crash: CrashLog,
    ) {
        super(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    }

    override error(message: string, data?: unknown, _showNotification?: boolean | "force"): void {
        super.error(message, data, false);
        if (!CLIENT_OWN.test(message)) this.crash?.noteError(message);
        else if (START_FAILED.test(message) && data instanceof Error && !DISPOSED.test(data.message)) this.crash?.noteError(data.message);
    }
}

export interface ClientParts {
    extension: vscode.ExtensionContext;
    log: vscode.LogOutputChannel;
    middleware: Middleware;
    errorHandler: ErrorHandler;
    crash: CrashLog;
}

/** Forwards a server output stream to the log line by line; stderr lines also go to the crash log. */
function pipeLines(input: NodeJS.ReadableStream, onLine: (line: string) => void): void {
    readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on("line", onLine);
}

export function createLanguageClient({ extension, log, middleware, errorHandler, crash }: ClientParts): Glm4LanguageClient {
    const module = extension.asAbsolutePath(path.join("out", "server.js"));
    // The server logs debug lines when GLM4_DEBUG=1: follow the channel's log level (read at each start).
    const debugLogs = log.logLevel !== vscode.LogLevel.Off && log.logLevel <= vscode.LogLevel.Debug;
    const env = debugLogs ? { GLM4_DEBUG: "1" } : undefined;
    const serverOptions: ServerOptions = {
        run: { module, transport: TransportKind.ipc, options: env ? { env } : {} },
        // Used only when the extension host itself runs under a debugger.
        debug: { module, transport: TransportKind.ipc, options: { env: { GLM4_DEBUG: "1" }, execArgv: ["--nolazy", "--inspect=6010"] } },
    };
    const clientOptions: LanguageClientOptions = {
        documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
        outputChannel: log,
        traceOutputChannel: log,
        revealOutputChannelOn: RevealOutputChannelOn.Never,
        // A function, so every (re)start sends the settings of that moment. Later changes reach the server
        // through workspace/configuration: it registers for workspace/didChangeConfiguration (section "glm4")
        // and pulls the section, so no `synchronize` option here (it would register a second listener).
        // storagePath: downloaded models (global); workspaceStoragePath: chat history (per workspace, none without one).
        initializationOptions: () => ({
            settings: settingsSection(),
            storagePath: extension.globalStorageUri.fsPath,
            workspaceStoragePath: extension.storageUri?.fsPath,
        }),
        errorHandler,
        // Without a handler the library pops up the raw error; ServerHost reports a failed start once, itself.
        initializationFailedHandler: (error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            if (!DISPOSED.test(message)) crash.noteError(message);
            log.error(`the server failed to initialize: ${message}`);
            return false;
        },
        middleware,
        stdioOptions: {
            stdout: (input) => pipeLines(input, (line) => log.info(line)),
            stderr: (input) => pipeLines(input, (line) => {
                log.error(line);
                crash.noteStderr(line);
            }),
        },
    };
    return new Glm4LanguageClient(serverOptions, clientOptions, crash);
}
