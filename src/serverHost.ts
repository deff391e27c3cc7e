/**
 * The server's lifecycle and the `Ctx` every client area gets. It owns the current LanguageClient and two
 * cleanup lists: `subscriptions` (extension lifetime) and the client list (disposed when that client is
 * stopped or replaced). The server never crash-loops: the client restarts it automatically at most
 * `RestartPolicy.maxRestarts` times within its window, a server that dies before it ever ran is not
 * restarted, and a server that stays down says why, once, with Show Logs / Restart.
 */
import * as vscode from "vscode";
import { CloseAction, ErrorAction, State, type ErrorHandler, type LanguageClient, type Middleware } from "vscode-languageclient/node";
import type { ChildProcess } from "node:child_process";
import type { Ctx } from "./ctx";
import { createLanguageClient, type Glm4LanguageClient } from "./client";
import { CrashLog, RestartPolicy, serverDownMessage, type ServerState } from "./serverHealth";
import { StatusNotification, StatusRequest, type ModelStatus } from "../server/protocol/status";
import { showProgressAsNotifications } from "./progress";

/** How long `readyClient()` waits for a starting server. */
const READY_TIMEOUT_MS = 30_000;
/** How long a stop waits for the server's shutdown (it frees the model) before the process is terminated. */
const STOP_TIMEOUT_MS = 5_000;
/** How long to wait for a dead server's exit code before reporting. */
const EXIT_WAIT_MS = 1_000;

function errorText(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

/** Resolves once `proc` has exited, or after `ms`. */
function exited(proc: ChildProcess | undefined, ms: number): Promise<void> {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        proc.once("exit", () => {
            clearTimeout(timer);
            resolve();
        });
    });
}

export class ServerHost implements Ctx, vscode.Disposable {
    private current: Glm4LanguageClient | undefined;
    /** Bumped whenever a client is created or dropped; events of older clients are ignored. */
    private generation = 0;
    private clientCleanup: vscode.Disposable[] = [];
    private _state: ServerState = { kind: "starting" };
    private _status: ModelStatus | undefined;
    private readonly policy = new RestartPolicy();
    private readonly crash = new CrashLog();
    /** Set by the error handler when it asked the client to restart the server (the client then goes Stopped -> Starting). */
    private restarting = false;
    /** Whether the current server process got as far as Running. */
    private reachedRunning = false;
    /** Set when the automatic restarts were used up, for the message. */
    private gaveUp = false;
    private process: ChildProcess | undefined;
    /** Serializes start/stop/restart. */
    private queue: Promise<void> = Promise.resolve();
    private readonly middleware: Middleware;

    private readonly clientEmitter = new vscode.EventEmitter<LanguageClient | undefined>();
    private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
    private readonly statusEmitter = new vscode.EventEmitter<ModelStatus | undefined>();
    readonly onDidChangeClient = this.clientEmitter.event;
    /** Fires on every server state change (starting / running / down). */
    readonly onDidChangeState = this.stateEmitter.event;
    readonly onDidChangeStatus = this.statusEmitter.event;

    constructor(
        readonly extension: vscode.ExtensionContext,
        readonly log: vscode.LogOutputChannel,
        /** Builds the client middleware (inline completion); called once, with this host. */
        middleware: (ctx: Ctx) => Middleware,
    ) {
        this.subscriptions.push(this.clientEmitter, this.stateEmitter, this.statusEmitter);
        this.middleware = middleware(this);
    }

    get subscriptions(): vscode.Disposable[] {
        return this.extension.subscriptions;
    }

    get client(): LanguageClient | undefined {
        return this._state.kind === "running" ? this.current : undefined;
    }

    get state(): ServerState {
        return this._state;
    }

    get status(): ModelStatus | undefined {
        return this._status;
    }

    pushClientCleanup(disposable: vscode.Disposable): void {
        this.clientCleanup.push(disposable);
    }

    /** Starts the server (no-op while one runs or starts). */
    start(): Promise<void> {
        return this.enqueue(async () => {
            if (this.current) return;
            await this.startClient();
        });
    }

    /** Stops the server for good (until start/restart); `reason` is what the status bar and commands say. */
    stop(reason = "it was stopped"): Promise<void> {
        return this.enqueue(() => this.stopClient({ kind: "down", reason }));
    }

    /** Stops the server if it runs and starts a fresh one, with a clean crash count. */
    restart(): Promise<void> {
        return this.enqueue(async () => {
            this.policy.reset();
            await this.stopClient({ kind: "starting" });
            await this.startClient();
        });
    }

    readyClient(): Promise<LanguageClient> {
        const ready = (): LanguageClient | undefined => (this._state.kind === "running" ? this.current : undefined);
        const now = ready();
        if (now) return Promise.resolve(now);
        if (this._state.kind === "down") return Promise.reject(new Error(serverDownMessage(this._state.reason)));
        return new Promise((resolve, reject) => {
            let sub: vscode.Disposable | undefined;
            const timer = setTimeout(() => {
                sub?.dispose();
                reject(new Error(serverDownMessage(`it did not start within ${READY_TIMEOUT_MS / 1000} s`)));
            }, READY_TIMEOUT_MS);
            sub = this.onDidChangeState((s) => {
                const client = ready();
                if (client || s.kind === "down") {
                    clearTimeout(timer);
                    sub?.dispose();
                    if (client) resolve(client);
                    else reject(new Error(serverDownMessage(s.kind === "down" ? s.reason : "it stopped")));
                }
            });
        });
    }

    async dispose(): Promise<void> {
        await this.stop("VS Code is closing the extension");
    }

    private enqueue(job: () => Promise<void>): Promise<void> {
        const next = this.queue.then(job, job);
        this.queue = next.catch(() => undefined);
        return next;
    }

    private async startClient(): Promise<void> {
        const gen = ++this.generation;
        this.crash.clear();
        this.gaveUp = false;
        this.restarting = false;
        this.reachedRunning = false;
        this.setState({ kind: "starting" });
        // The server keeps downloaded models and chat history there; make sure the folders exist.
        for (const dir of [this.extension.globalStorageUri, this.extension.storageUri]) {
            if (dir) await vscode.workspace.fs.createDirectory(dir).then(undefined, () => undefined);
        }
        const client = createLanguageClient({
            extension: this.extension,
            log: this.log,
            middleware: this.middleware,
            errorHandler: this.errorHandler(gen),
            crash: this.crash,
        });
        this.current = client;
        this.clientCleanup.push(
            client.onDidChangeState((e) => this.onClientState(gen, client, e.newState)),
            client.onNotification(StatusNotification.type, (s) => {
                if (gen === this.generation) this.setStatus(s);
            }),
        );
        this.log.info(`starting the server: ${this.extension.asAbsolutePath("out/server.js")}`);
        try {
            await client.start();
            if (gen === this.generation) this.clientCleanup.push(showProgressAsNotifications(client));
        } catch (e) {
            if (gen !== this.generation) return;
            this.log.error(`the server did not start: ${errorText(e)}`);
            void this.goDown(gen);
        }
    }

    /** Drops the current client (if any) and enters `next` ("down" for good, or "starting" when a start follows). */
    private async stopClient(next: ServerState): Promise<void> {
        const client = this.current;
        this.generation++;
        this.current = undefined;
        this.process = undefined;
        this.setState(next);
        const cleanup = this.clientCleanup;
        this.clientCleanup = [];
        for (const d of cleanup) d.dispose();
        if (!client) return;
        try {
            await client.dispose(STOP_TIMEOUT_MS);
        } catch (e) {
            // Disposing a client that is starting or already stopped throws; the process is terminated anyway.
            this.log.debug(`stopping the server: ${errorText(e)}`);
        }
    }

    private onClientState(gen: number, client: Glm4LanguageClient, state: State): void {
        if (gen !== this.generation) return;
        switch (state) {
            case State.Starting:
                this.crash.clear();
                this.restarting = false;
                this.reachedRunning = false;
                this.setState({ kind: "starting" });
                break;
            case State.Running: {
                this.reachedRunning = true;
                this.process = client.serverProcess;
                this.process?.once("exit", (code, signal) => this.crash.noteExit(code, signal));
                this.setState({ kind: "running" });
                client.sendRequest(StatusRequest.type).then(
                    (s) => { if (gen === this.generation) this.setStatus(s); },
                    // A server that dies right away rejects this too; its crash is reported on its own.
                    (e) => { if (gen === this.generation && this._state.kind === "running") this.log.warn(`asking the server for its status failed: ${errorText(e)}`); },
                );
                break;
            }
            case State.Stopped:
            case State.StartFailed:
                // Stopped is also the step between a crash and the automatic restart.
                if (this.restarting) this.setState({ kind: "starting" });
                else void this.goDown(gen);
                break;
        }
    }

    /** The client's error handler: bounded automatic restarts, never a notification of its own. */
    private errorHandler(gen: number): ErrorHandler {
        return {
            // Write/read errors come with a dying process, whose close decides about restarts (`closed`). Shutting
            // down here instead would bypass the restart policy, so keep going and only log (the library does).
            error: (error) => ({ action: ErrorAction.Continue, message: `connection to the server: ${error.message}`, handled: true }),
            closed: () => {
                if (gen !== this.generation) return { action: CloseAction.DoNotRestart, handled: true };
                const reason = this.crash.reason();
                if (!this.reachedRunning) {
                    return { action: CloseAction.DoNotRestart, message: `GLM-4 server exited while starting: ${reason}`, handled: true };
                }
                const now = Date.now();
                if (this.policy.recordCrash(now)) {
                    this.restarting = true;
                    const n = this.policy.recentCrashes(now);
                    return {
                        action: CloseAction.Restart,
                        message: `GLM-4 server stopped unexpectedly (${reason}); restarting it (${n} of ${this.policy.maxRestarts} within ${this.policy.windowMs / 60_000} minutes).`,
                        handled: true,
                    };
                }
                this.gaveUp = true;
                return {
                    action: CloseAction.DoNotRestart,
                    message: `GLM-4 server crashed ${this.policy.recentCrashes(now)} times within ${this.policy.windowMs / 60_000} minutes; it stays down. Last error: ${reason}`,
                    handled: true,
                };
            },
        };
    }

    /** The server is gone and will not come back by itself: say why, once. */
    private async goDown(gen: number): Promise<void> {
        if (this._state.kind === "down") return;
        this.setState({ kind: "down", reason: this.crash.reason() });
        // The exit code arrives after the connection closed; the reason is better with it.
        await exited(this.process, EXIT_WAIT_MS);
        // A restart may have come while waiting.
        if (gen !== this.generation || this.state.kind !== "down") return;
        const reason = this.crash.reason();
        this.setState({ kind: "down", reason });
        const detail = this.gaveUp ? ` It crashed ${this.policy.maxRestarts + 1} times within ${this.policy.windowMs / 60_000} minutes, so it was not restarted again.` : "";
        this.log.error(`${serverDownMessage(reason)}${detail}`);
        const choice = await vscode.window.showErrorMessage(`${serverDownMessage(reason)}${detail}`, "Show Logs", "Restart");
        if (choice === "Show Logs") this.log.show();
        else if (choice === "Restart") void this.restart();
    }

    private setState(state: ServerState): void {
        const was = this._state;
        this._state = state;
        if (was.kind === "running" && state.kind !== "running") {
            this.setStatus(undefined);
            this.clientEmitter.fire(undefined);
        }
        if (state.kind === "running" && was.kind !== "running") this.clientEmitter.fire(this.current);
        if (JSON.stringify(was) !== JSON.stringify(state)) this.stateEmitter.fire(state);
    }

    private setStatus(status: ModelStatus | undefined): void {
        this._status = status;
        this.statusEmitter.fire(status);
    }
}
