/**
 * "GLM-4: Manage Downloaded Models": the model store (`glm4/models/list`) in a quick pick; for a model: use it,
 * reveal it, or delete it (`glm4/models/delete`, after a modal confirmation).
 */
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { DeleteModelRequest, ListModelsRequest, type StoredModel } from "../../server/protocol/planner";
import { updateSetting } from "../config";

const gb = (b: number): string => `${(b / 1e9).toFixed(2)} GB`;

interface Item extends vscode.QuickPickItem { model?: StoredModel; openFolder?: boolean }

export async function manageModels(client: LanguageClient): Promise<void> {
    for (;;) {
        const list = await client.sendRequest(ListModelsRequest.type, undefined);
        const items: Item[] = list.models.map((m) => ({
            label: `${m.inUse ? "$(check) " : m.partial ? "$(debug-pause) " : ""}${m.fileName}`,
            description: `${gb(m.bytes)}${m.inUse ? " · in use" : ""}${m.partial ? " · interrupted download (resumes on next load)" : ""}`,
            detail: [m.uri, m.sha256 ? `SHA-256 ${m.sha256.slice(0, 16)}… verified` : undefined, m.downloadedAt ? `downloaded ${m.downloadedAt.slice(0, 10)}` : undefined].filter(Boolean).join(" · "),
            model: m,
        }));
        items.push({ label: "$(folder-opened) Open the models folder", description: list.freeDiskBytes !== undefined ? `${gb(list.freeDiskBytes)} free` : "", openFolder: true });
        const pick = await vscode.window.showQuickPick(items, {
            title: list.models.length ? `GLM-4: ${list.models.length} model file(s) in ${list.storagePath}` : "GLM-4: no models downloaded yet",
        });
        if (!pick) return;
        if (pick.openFolder) {
            await vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(`${list.storagePath}/models`));
            return;
        }
        const m = pick.model!;
        const actions = [m.partial ? undefined : "Use This Model", "Reveal in File Manager", m.inUse ? undefined : "Delete"].filter((x): x is string => !!x);
        const action = await vscode.window.showQuickPick(actions, { title: m.fileName });
        if (action === "Use This Model") {
            await updateSetting("model", m.uri ?? m.path);
            return;
        }
        if (action === "Reveal in File Manager") {
            await vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(m.path));
            return;
        }
        if (action === "Delete") {
            const ok = await vscode.window.showWarningMessage(`Delete ${m.fileName} (${gb(m.bytes)})?`, { modal: true }, "Delete");
            if (ok !== "Delete") continue;
            const r = await client.sendRequest(DeleteModelRequest.type, { path: m.path });
            void vscode.window.showInformationMessage(`GLM-4: deleted ${m.fileName}, ${gb(r.freedBytes)} freed.`);
            continue;
        }
        return;
    }
}
