/**
 * The chat commands. They only capture editor context and hand it to the view (which sends the turn
 * through the one relay path); none needs the server itself, so they work (and queue up in the view) while it
 * starts. The table is typed by `COMMAND_IDS`.
 */
import * as vscode from "vscode";
import type { CommandSpec } from "../commands";
import type { SlashCommand } from "../../server/protocol/chat";
import type { ChatCommandId } from "./commandIds";
import type { ChatViewProvider } from "./chatViewProvider";
import { attachFile, fileAttachment, pickFile, selectionAttachment, type EditorTracker } from "./editorContext";

export function chatCommands(provider: ChatViewProvider, editors: EditorTracker, log: vscode.LogOutputChannel): Record<ChatCommandId, CommandSpec> {
    const onSelection = (command: SlashCommand): CommandSpec => ({
        needsServer: false,
        run: async () => {
            const editor = editors.editor;
            const attachment = selectionAttachment(editor) ?? (editor ? fileAttachment(editor.document) : null);
            if (!attachment) {
                void vscode.window.showInformationMessage(`Select code in an editor to /${command} it.`);
                return;
            }
            await provider.reveal("prompt/run", { command, attachment });
        },
    });
    return {
        "glm4.chat.new": { needsServer: false, run: () => provider.reveal("chat/new", {}) },
        "glm4.chat.history": { needsServer: false, run: () => provider.reveal("history/show", {}) },
        "glm4.chat.addSelection": {
            needsServer: false,
            run: async () => {
                const attachment = selectionAttachment(editors.editor);
                if (!attachment) {
                    void vscode.window.showInformationMessage("Select some code in an editor first.");
                    return;
                }
                await provider.reveal("context/add", { attachment });
            },
        },
        "glm4.chat.addFile": {
            needsServer: false,
            // From the explorer's context menu the file comes as an argument; else the active file, else a pick.
            run: async (arg?: unknown) => {
                const attachment = arg instanceof vscode.Uri ? await attachFile(arg, log)
                    : editors.editor ? fileAttachment(editors.editor.document) : await pickFile(log);
                if (attachment) await provider.reveal("context/add", { attachment });
            },
        },
        "glm4.chat.explain": onSelection("explain"),
        "glm4.chat.fix": onSelection("fix"),
        "glm4.chat.tests": onSelection("tests"),
        "glm4.chat.doc": onSelection("doc"),
    };
}
