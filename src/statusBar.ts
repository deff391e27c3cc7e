/**
 * The status bar item: server state, model lifecycle (StatusNotification via the host), the last completion's
 * latency and speed (CompletionMetricsNotification) and whether completion is on for the active editor.
 * What it shows is decided by `renderStatus` (statusView.ts); clicking it shows the logs.
 */
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { CompletionMetricsNotification, type CompletionMetrics } from "../server/protocol/completion";
import { completionSettings, onDidChangeSettings } from "./config";
import type { ServerHost } from "./serverHost";
import { renderStatus } from "./statusView";

/** The item's id: VS Code renders it with this id (prefixed by the extension id) in the status bar. */
export const STATUS_ITEM_ID = "glm4.status";

export function registerStatusBar(host: ServerHost): void {
    const item = vscode.window.createStatusBarItem(STATUS_ITEM_ID, vscode.StatusBarAlignment.Right, 100);
    item.name = "GLM-4";
    item.command = "glm4.showLogs";
    let metrics: CompletionMetrics | undefined;

    const update = (): void => {
        const document = vscode.window.activeTextEditor?.document;
        const completion = completionSettings(document);
        const view = renderStatus({
            server: host.state,
            model: host.status,
            metrics,
            completionEnabled: completion.enabled && !(document && completion.disabledLanguages.includes(document.languageId)),
        });
        item.text = view.text;
        item.tooltip = view.tooltip;
        item.backgroundColor = view.severity === "normal" ? undefined : new vscode.ThemeColor(`statusBarItem.${view.severity}Background`);
        item.accessibilityInformation = { label: view.tooltip.split("\n")[0] ?? "GLM-4" };
    };

    // One handler per client instance (it survives automatic restarts of that instance).
    const seen = new WeakSet<LanguageClient>();
    host.subscriptions.push(
        item,
        host.onDidChangeState(update),
        host.onDidChangeStatus((status) => {
            if (status?.state !== "ready") metrics = undefined;
            update();
        }),
        host.onDidChangeClient((client) => {
            if (!client || seen.has(client)) return;
            seen.add(client);
            host.pushClientCleanup(client.onNotification(CompletionMetricsNotification.type, (m) => {
                metrics = m;
                update();
            }));
        }),
        onDidChangeSettings(update),
        vscode.window.onDidChangeActiveTextEditor(update),
    );
    update();
    item.show();
}
