/**
 * Server-initiated `window/workDoneProgress` as VS Code notifications. vscode-languageclient shows such progress
 * in the status bar (ProgressLocation.Window), where VS Code offers no Cancel button; a 19.7 GB model download
 * needs one. This replaces the client's handler for `window/workDoneProgress/create` (call it after the client
 * started, when its own handler is registered) and shows each progress as a notification; Cancel sends the
 * standard `window/workDoneProgress/cancel` for its token (the server stops the load, see modelHost.ts).
 */
import * as vscode from "vscode";
import { WorkDoneProgress, WorkDoneProgressCancelNotification, WorkDoneProgressCreateRequest, type WorkDoneProgressBegin, type WorkDoneProgressReport } from "vscode-languageclient";
import type { LanguageClient } from "vscode-languageclient/node";

const SHOW_AFTER_MS = 1500;

export function showProgressAsNotifications(client: LanguageClient): vscode.Disposable {
    const open = new Set<vscode.Disposable>();
    const created = client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
        let update: ((value: WorkDoneProgressReport) => void) | undefined;
        let finish: (() => void) | undefined;
        let lastPercentage = 0;
        let latest: WorkDoneProgressReport | undefined;
        let timer: NodeJS.Timeout | undefined;
        let ended = false;
        const listener: vscode.Disposable = client.onProgress(WorkDoneProgress.type, token, (value) => {
            if (value.kind === "begin") {
                // a load that ends within a moment (a small or cached model) shows no notification at all
                timer = setTimeout(() => { if (!ended) begin(value); }, SHOW_AFTER_MS);
            } else if (value.kind === "report") {
                latest = value;
                update?.(value);
            } else {
                ended = true;
                clearTimeout(timer);
                finish?.();
                listener.dispose();
                open.delete(listener);
            }
        });
        open.add(listener);
        const begin = (value: WorkDoneProgressBegin): void => {
            void vscode.window.withProgress(
                { location: vscode.ProgressLocation.Notification, title: value.title, cancellable: value.cancellable === true },
                (progress, cancel) => new Promise<void>((resolve) => {
                    finish = resolve;
                    cancel.onCancellationRequested(() => {
                        void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
                    });
                    update = (r) => {
                        const increment = typeof r.percentage === "number" ? Math.max(0, r.percentage - lastPercentage) : undefined;
                        if (typeof r.percentage === "number") lastPercentage = r.percentage;
                        progress.report({ ...(r.message !== undefined ? { message: r.message } : {}), ...(increment !== undefined ? { increment } : {}) });
                    };
                    update(latest ?? { kind: "report", ...(value.message !== undefined ? { message: value.message } : {}), ...(value.percentage !== undefined ? { percentage: value.percentage } : {}) });
                }),
            );
        };
    });
    return new vscode.Disposable(() => {
        created.dispose();
        for (const d of open) d.dispose();
        open.clear();
    });
}
