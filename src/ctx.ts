/**
 * What every client-side area gets: the extension context, the log channel, and the current language client
 * (replaced on restart). Areas (completion, chat, planner) register through `register*(ctx)` functions called
 * from main.ts; they never start or stop the client themselves.
 */
import type * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";

export interface Ctx {
    readonly extension: vscode.ExtensionContext;
    readonly log: vscode.LogOutputChannel;
    /** The running client, or undefined while the server is down/restarting. */
    readonly client: LanguageClient | undefined;
    /** Fires after the client (re)started and is ready, or stopped (undefined). */
    readonly onDidChangeClient: vscode.Event<LanguageClient | undefined>;
    /** The running client, waiting (bounded) for it to be ready; rejects with a readable Error if the server is down. */
    readyClient(): Promise<LanguageClient>;
    /** Disposables that live as long as the extension. */
    readonly subscriptions: vscode.Disposable[];
}
