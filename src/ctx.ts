/**
 * What every client-side area gets: the extension context, the log channel, and the current language client
 * (replaced on restart). Areas (completion, chat, planner) register through `register*(ctx)` functions called
 * from main.ts; they never start or stop the client themselves.
 */
import type * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import type { ModelStatus } from "../server/protocol/status";

export interface Ctx {
    readonly extension: vscode.ExtensionContext;
    readonly log: vscode.LogOutputChannel;
    /** The running client, or undefined while the server is down/restarting. */
    readonly client: LanguageClient | undefined;
    /**
     * Fires after the client (re)started and is ready, or stopped (undefined). After an automatic restart the
     * same instance is announced again: handlers set with `client.onNotification/onRequest` survive such
     * restarts, and a client keeps ONE handler per method (a second registration replaces the first), so
     * register per instance and never for a method another area handles (StatusNotification: use
     * `onDidChangeStatus`).
     */
    readonly onDidChangeClient: vscode.Event<LanguageClient | undefined>;
    /** The running client, waiting (bounded) for it to be ready; rejects with a readable Error if the server is down. */
    readyClient(): Promise<LanguageClient>;
    /** Disposables that live as long as the extension. */
    readonly subscriptions: vscode.Disposable[];
    /** Disposables that live as long as the current client: disposed when it is stopped or replaced. */
    pushClientCleanup(disposable: vscode.Disposable): void;
    /** The model status last reported by the server; undefined while unknown (server down or not asked yet). */
    readonly status: ModelStatus | undefined;
    /** Fires on every StatusNotification, and with undefined when the server goes away. */
    readonly onDidChangeStatus: vscode.Event<ModelStatus | undefined>;
}
