/**
 * "GLM-4: Show GPU Requirements": a webview panel (one at a time) showing the server's requirements table
 * (`glm4/planner/requirements`). Security: nonce CSP from `default-src 'none'`, `localResourceRoots` limited
 * to media/dist and media/icons, every message from the webview shape-checked (`checkFromWebview`).
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { RequirementsRequest } from "../../server/protocol/planner";
import { checkFromWebview, type ToWebview } from "../../media/planner/protocol";
import type { Ctx } from "../ctx";
import { plannerHtml } from "./html";
import { applyChoice } from "./choose";

export const PLANNER_PANEL_TYPE = "glm4.gpuRequirements";

export class RequirementsPanel {
    private static current: RequirementsPanel | undefined;
    private kvCacheType: "f16" | "q8_0" = "f16";

    static show(ctx: Ctx): RequirementsPanel {
        if (RequirementsPanel.current) {
            RequirementsPanel.current.panel.reveal();
            void RequirementsPanel.current.refresh();
            return RequirementsPanel.current;
        }
        const extensionUri = ctx.extension.extensionUri;
        const dist = vscode.Uri.joinPath(extensionUri, "media", "dist");
        const panel = vscode.window.createWebviewPanel(PLANNER_PANEL_TYPE, "GLM-4: GPU Requirements", vscode.ViewColumn.Active, {
            enableScripts: true,
            localResourceRoots: [dist, vscode.Uri.joinPath(extensionUri, "media", "icons")],
        });
        const nonce = randomBytes(16).toString("base64");
        panel.webview.html = plannerHtml({
            cspSource: panel.webview.cspSource, nonce,
            scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, "planner.js")).toString(),
            styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, "planner.css")).toString(),
        });
        RequirementsPanel.current = new RequirementsPanel(ctx, panel);
        return RequirementsPanel.current;
    }

    private constructor(private readonly ctx: Ctx, private readonly panel: vscode.WebviewPanel) {
        const subs: vscode.Disposable[] = [];
        subs.push(panel.webview.onDidReceiveMessage((raw: unknown) => {
            const m = checkFromWebview(raw);
            if (!m) {
                ctx.log.warn(`planner webview: ignored a message of the wrong shape: ${JSON.stringify(raw)?.slice(0, 200)}`);
                return;
            }
            if (m.type === "ready") void this.refresh();
            else if (m.type === "refresh") {
                this.kvCacheType = m.kvCacheType;
                void this.refresh();
            } else if (m.type === "chooseModel") void vscode.commands.executeCommand("glm4.chooseModel");
            else if (m.type === "use") void this.use(m.uri, m.contextSize);
        }));
        subs.push(ctx.onDidChangeClient((c) => { if (c) void this.refresh(); }));
        panel.onDidDispose(() => {
            for (const s of subs) s.dispose();
            if (RequirementsPanel.current === this) RequirementsPanel.current = undefined;
        });
    }

    private post(m: ToWebview): void {
        void this.panel.webview.postMessage(m).then(undefined, () => undefined);
    }

    async refresh(): Promise<void> {
        this.post({ type: "loading" });
        try {
            const client = await this.ctx.readyClient();
            const data = await client.sendRequest(RequirementsRequest.type, { kvCacheType: this.kvCacheType });
            this.post({ type: "data", data });
        } catch (e) {
            this.post({ type: "error", message: `Could not compute the requirements: ${(e as Error).message}` });
        }
    }

    private async use(uri: string, contextSize: number): Promise<void> {
        const ok = await vscode.window.showInformationMessage(
            `Use ${uri} with a ${Math.round(contextSize / 1024)}K context? GLM-4 will download it if needed and reload.`, { modal: true }, "Use");
        if (ok === "Use") await applyChoice({ model: uri, contextSize, gpuLayers: "auto" });
    }
}
