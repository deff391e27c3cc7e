/**
 * The chat area of the extension: the webview view, the relay to the server, the editor services the
 * webview asks for (context, code actions) and the chat commands. `registerChat(ctx)` is called by main.ts.
 */
import * as vscode from "vscode";
import type { Ctx } from "../ctx";
import { registerCommandTable } from "../commands";
import { CHAT_VIEW_ID } from "./commandIds";
import { ChatViewProvider } from "./chatViewProvider";
import { chatCommands } from "./commands";
import { applyCode, copyCode, insertCode, ProposalProvider } from "./codeActions";
import { EditorTracker, fileAttachment, pickFile, problemsAttachment, selectionAttachment } from "./editorContext";
import { ChatRelay } from "./relay";
import type { HostChannel } from "./webviewChannel";

export function registerChat(ctx: Ctx): void {
    const editors = new EditorTracker();
    const proposals = new ProposalProvider();
    let provider: ChatViewProvider | undefined;
    const relay = new ChatRelay(ctx, () => provider?.channel);
    const install = (channel: HostChannel): void => {
        relay.attach(channel);
        channel.handle("context/selection", () => selectionAttachment(editors.editor));
        channel.handle("context/activeFile", () => (editors.editor ? fileAttachment(editors.editor.document) : null));
        channel.handle("context/pickFile", () => pickFile(ctx.log));
        channel.handle("context/problems", () => problemsAttachment());
        channel.handle("code/copy", async ({ code }) => { await copyCode(code); return {}; });
        channel.handle("code/insert", async ({ code, languageId }) => ({ inserted: await insertCode(editors, code, languageId) }));
        channel.handle("code/apply", ({ code }) => applyCode(editors, proposals, code));
    };
    provider = new ChatViewProvider(ctx.extension.extensionUri, ctx.log, install);
    ctx.subscriptions.push(
        editors, proposals, relay, provider,
        vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, provider, { webviewOptions: { retainContextWhenHidden: true } }),
    );
    registerCommandTable(ctx, chatCommands(provider, editors, ctx.log));
}
