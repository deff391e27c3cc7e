/**
 * Command tables: id -> spec. A spec that needs the server runs with a ready client (its enabled form); while
 * the server is down its disabled form answers every such command with one uniform message:
 * "GLM-4 server is not running: <why>. [Show Logs] [Restart]". Other areas register their own tables
 * with `registerCommandTable`, typed by their `COMMAND_IDS` (see commandIds.ts).
 */
import * as vscode from "vscode";
import { ErrorCodes, LSPErrorCodes, ResponseError, type LanguageClient } from "vscode-languageclient/node";
import { ReloadModelRequest } from "../server/protocol/status";
import type { Ctx } from "./ctx";
import type { GeneralCommandId } from "./commandIds";
import { completionSettings, updateSetting } from "./config";
import { toggleLanguage } from "./completion/gate";
import type { ServerHost } from "./serverHost";

export type CommandSpec =
    /** Runs whatever the server's state. */
    | { readonly needsServer: false; run(...args: unknown[]): unknown }
    /** Runs with the ready client; while the server is down, the uniform message runs instead. */
    | { readonly needsServer: true; run(client: LanguageClient, ...args: unknown[]): unknown };

/** The disabled form of every command that needs the server. */
export async function showServerDown(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, "Show Logs", "Restart");
    if (choice === "Show Logs") await vscode.commands.executeCommand("glm4.showLogs");
    else if (choice === "Restart") await vscode.commands.executeCommand("glm4.restartServer");
}

function isCancellation(e: unknown): boolean {
    return e instanceof vscode.CancellationError
        || (e instanceof ResponseError && (e.code === LSPErrorCodes.RequestCancelled || e.code === ErrorCodes.PendingResponseRejected));
}

/** Registers every command of `table` for the extension's lifetime. Failures are logged and shown once, never thrown. */
export function registerCommandTable<Id extends string>(ctx: Ctx, table: Record<Id, CommandSpec>): void {
    for (const id of Object.keys(table) as Id[]) {
        const spec: CommandSpec = table[id];
        ctx.subscriptions.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
            let client: LanguageClient | undefined;
            if (spec.needsServer) {
                try {
                    client = await ctx.readyClient();
                } catch (e) {
                    await showServerDown(e instanceof Error ? e.message : String(e));
                    return undefined;
                }
            }
            try {
                return await (spec.needsServer ? spec.run(client!, ...args) : spec.run(...args));
            } catch (e) {
                if (isCancellation(e)) return undefined;
                const message = e instanceof Error ? e.message : String(e);
                ctx.log.error(`command ${id} failed: ${message}`);
                const choice = await vscode.window.showErrorMessage(`GLM-4: ${message}`, "Show Logs");
                if (choice === "Show Logs") ctx.log.show();
                return undefined;
            }
        }));
    }
}

/** The general commands: logs, server and model lifecycle, inline completion switches. */
export function generalCommands(host: ServerHost): Record<GeneralCommandId, CommandSpec> {
    return {
        "glm4.showLogs": { needsServer: false, run: () => host.log.show() },
        "glm4.restartServer": {
            needsServer: false,
            run: () => vscode.window.withProgress(
                { location: vscode.ProgressLocation.Window, title: "GLM-4: restarting the server" },
                () => host.restart(),
            ),
        },
        "glm4.reloadModel": {
            needsServer: true,
            run: async (client) => {
                const status = await vscode.window.withProgress(
                    { location: vscode.ProgressLocation.Window, title: "GLM-4: reloading the model" },
                    () => client.sendRequest(ReloadModelRequest.type),
                );
                if (status.state === "error") {
                    const choice = await vscode.window.showWarningMessage(`GLM-4: the model could not be loaded: ${status.error ?? "unknown error"}`, "Show Logs");
                    if (choice === "Show Logs") host.log.show();
                } else if (status.state === "ready") {
                    void vscode.window.showInformationMessage(`GLM-4: ${status.modelName ?? "the model"} is loaded${status.device ? ` (${status.device})` : ""}.`);
                }
            },
        },
        "glm4.toggleCompletion": {
            needsServer: false,
            run: async () => {
                const enabled = !completionSettings().enabled;
                await updateSetting("completion.enabled", enabled);
                vscode.window.setStatusBarMessage(`GLM-4: inline completion ${enabled ? "on" : "off"}`, 3000);
            },
        },
        "glm4.toggleCompletionForLanguage": {
            needsServer: false,
            run: async () => {
                const languageId = vscode.window.activeTextEditor?.document.languageId;
                if (!languageId) {
                    void vscode.window.showInformationMessage("GLM-4: open a file to toggle inline completion for its language.");
                    return;
                }
                const next = toggleLanguage(completionSettings().disabledLanguages, languageId);
                await updateSetting("completion.disabledLanguages", next.disabledLanguages);
                vscode.window.setStatusBarMessage(`GLM-4: inline completion ${next.enabled ? "on" : "off"} for ${languageId}`, 3000);
            },
        },
        "glm4.triggerCompletion": {
            needsServer: true,
            run: () => vscode.commands.executeCommand("editor.action.inlineSuggest.trigger"),
        },
    };
}
