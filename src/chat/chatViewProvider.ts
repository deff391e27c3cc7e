/**
 * The chat webview view (`glm4.chatView`). Security: a nonce CSP built from `default-src 'none'` (scripts
 * and styles only from the extension with the nonce, images only from the extension or data:, nothing
 * remote), `localResourceRoots` limited to media/dist and media/icons, and every message from the webview
 * shape-checked by the channel (wrong shape: ignored and logged).
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { EventName, WebviewEvents, WireMessage } from "../../media/chat/protocol";
import { CHAT_VIEW_ID } from "./commandIds";
import { HostChannel } from "./webviewChannel";
import { WEBVIEW_VALIDATORS } from "./validate";
import { toWireError } from "./relay";
import { chatHtml } from "./html";

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
    private view: vscode.WebviewView | undefined;
    private channelInstance: HostChannel | undefined;
    private ready: Promise<void> | undefined;
    private markReady: (() => void) | undefined;
    private readonly disposables: vscode.Disposable[] = [];

    constructor(
        private readonly extensionUri: vscode.Uri,
        private readonly log: vscode.LogOutputChannel,
        /** Installs the request handlers (relay and editor services) on a new channel. */
        private readonly install: (channel: HostChannel) => void,
    ) {}

    get channel(): HostChannel | undefined {
        return this.channelInstance;
    }

    resolveWebviewView(view: vscode.WebviewView): void {
        this.view = view;
        const dist = vscode.Uri.joinPath(this.extensionUri, "media", "dist");
        view.webview.options = {
            enableScripts: true,
            localResourceRoots: [dist, vscode.Uri.joinPath(this.extensionUri, "media", "icons")],
        };
        const channel = new HostChannel((m: WireMessage) => view.webview.postMessage(m), WEBVIEW_VALIDATORS, this.log, toWireError);
        this.channelInstance = channel;
        this.install(channel);
        this.ready = new Promise((resolve) => { this.markReady = resolve; });
        channel.handle("showLogs", () => { this.log.show(true); return {}; });
        this.disposables.push(view.webview.onDidReceiveMessage((m: unknown) => {
            if ((m as { method?: unknown })?.method === "init") this.markReady?.();
            void channel.receive(m);
        }));
        view.onDidDispose(() => {
            if (this.view === view) {
                this.view = undefined;
                this.channelInstance = undefined;
                this.ready = undefined;
            }
        });
        view.webview.html = chatHtml({
            cspSource: view.webview.cspSource,
            nonce: randomBytes(16).toString("base64"),
            scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, "chat.js")).toString(),
            styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, "chat.css")).toString(),
        });
    }

    /** Shows the view and waits until its script is listening, then sends the event. */
    async reveal<E extends EventName>(event?: E, params?: WebviewEvents[E]): Promise<void> {
        if (!this.view) await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
        else this.view.show(true);
        const ready = this.ready;
        if (ready) await Promise.race([ready, new Promise((r) => setTimeout(r, 10_000))]);
        if (event && params) this.channelInstance?.emit(event, params);
    }

    dispose(): void {
        for (const d of this.disposables) d.dispose();
    }
}
