/**
 * Entry of out/extension.js. Builds the log channel and the server host (the `Ctx`), registers the general
 * commands, the status bar and the areas (chat, planner), then starts the server. Nothing here holds logic.
 */
import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { ServerHost } from "./serverHost";
import { generalCommands, registerCommandTable } from "./commands";
import { registerStatusBar } from "./statusBar";
import { inlineCompletionMiddleware } from "./completion/middleware";
import { registerChat } from "./chat";
import { registerPlanner } from "./planner";

/** What `activate` returns (for extension tests: `vscode.extensions.getExtension("glm4-code.glm4-code").exports`). */
export interface Glm4Api {
    readonly ctx: Ctx;
    /** "starting" | "running" | "down". */
    serverState(): string;
}

let host: ServerHost | undefined;

export function activate(context: vscode.ExtensionContext): Glm4Api {
    const log = vscode.window.createOutputChannel("GLM-4", { log: true });
    context.subscriptions.push(log);
    const server = new ServerHost(context, log, inlineCompletionMiddleware);
    host = server;

    registerCommandTable(server, generalCommands(server));
    registerStatusBar(server);
    for (const [area, register] of [["chat", registerChat], ["planner", registerPlanner]] as const) {
        try {
            register(server);
        } catch (e) {
            log.error(`the ${area} area failed to register: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        }
    }

    // Context keys for `when` clauses (and a cheap "is it active" probe for tests).
    const setContext = (key: string, value: unknown): void => void vscode.commands.executeCommand("setContext", key, value);
    setContext("glm4.active", true);
    setContext("glm4.serverState", server.state.kind);
    context.subscriptions.push(server.onDidChangeState((s) => setContext("glm4.serverState", s.kind)));

    void server.start();
    log.info(`GLM-4 extension ${context.extension.packageJSON?.version ?? ""} activated`);
    return { ctx: server, serverState: () => server.state.kind };
}

export async function deactivate(): Promise<void> {
    const h = host;
    host = undefined;
    await h?.dispose();
}
