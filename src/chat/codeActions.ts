/**
 * The code-block buttons: Copy, Insert at the cursor, and Apply, which never writes blindly: it opens
 * `vscode.diff` of the file against the proposed version (the selection replaced by the code, or the whole file
 * when nothing is selected), asks Accept / Reject, and applies an accepted change as a `WorkspaceEdit` (undoable,
 * dirty buffers respected), refusing if the file changed while the diff was open.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import type { EditorTracker } from "./editorContext";

export const PROPOSAL_SCHEME = "glm4-proposal";

/** Serves proposed file versions to the diff editor (read-only, in memory). */
export class ProposalProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly contents = new Map<string, string>();
    private next = 1;
    private readonly registration = vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this);

    add(fileName: string, content: string): vscode.Uri {
        const id = String(this.next++);
        const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${id}/${fileName}` });
        this.contents.set(uri.toString(), content);
        return uri;
    }

    remove(uri: vscode.Uri): void {
        this.contents.delete(uri.toString());
    }

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.contents.get(uri.toString()) ?? "";
    }

    dispose(): void {
        this.registration.dispose();
        this.contents.clear();
    }
}

export async function copyCode(code: string): Promise<void> {
    await vscode.env.clipboard.writeText(code);
}

export async function insertCode(editors: EditorTracker, code: string, languageId: string | undefined): Promise<boolean> {
    const editor = editors.editor;
    if (!editor) {
        const doc = await vscode.workspace.openTextDocument({ content: code, ...(languageId ? { language: languageId } : {}) });
        await vscode.window.showTextDocument(doc);
        return true;
    }
    const shown = await vscode.window.showTextDocument(editor.document, editor.viewColumn);
    return shown.edit((b) => { for (const sel of shown.selections) b.replace(sel, code); });
}

export async function applyCode(editors: EditorTracker, proposals: ProposalProvider, code: string): Promise<{ applied: boolean; reason?: string }> {
    const editor = editors.editor;
    if (!editor) return { applied: false, reason: "Open the file to change in an editor first (select the part to replace, or nothing to replace the whole file)." };
    const doc = editor.document;
    const version = doc.version;
    const range = editor.selection.isEmpty ? new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)) : new vscode.Range(editor.selection.start, editor.selection.end);
    const text = doc.getText();
    const proposed = text.slice(0, doc.offsetAt(range.start)) + code + text.slice(doc.offsetAt(range.end));
    const name = path.basename(doc.uri.path) || "untitled";
    const proposalUri = proposals.add(name, proposed);
    const what = editor.selection.isEmpty ? "the whole file" : `lines ${range.start.line + 1}-${range.end.line + 1}`;
    try {
        await vscode.commands.executeCommand("vscode.diff", doc.uri, proposalUri, `${name} ↔ proposed change (${what})`, { preview: true, preserveFocus: false });
        const choice = await vscode.window.showInformationMessage(`Apply the proposed change to ${name} (${what})?`, "Accept", "Reject");
        if (choice !== "Accept") return { applied: false, reason: `The change to ${name} was rejected; nothing was written.` };
        if (doc.isClosed || doc.version !== version) return { applied: false, reason: `${name} changed while the diff was open; nothing was applied. Apply again to see a fresh diff.` };
        const edit = new vscode.WorkspaceEdit();
        edit.replace(doc.uri, range, code);
        const applied = await vscode.workspace.applyEdit(edit);
        return applied ? { applied } : { applied, reason: `VS Code refused the edit to ${name}.` };
    } finally {
        await closeDiff(proposalUri);
        proposals.remove(proposalUri);
        if (!doc.isClosed) await vscode.window.showTextDocument(doc, editor.viewColumn).then(undefined, () => undefined);
    }
}

async function closeDiff(proposal: vscode.Uri): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs)
        .filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === proposal.toString());
    if (tabs.length) await vscode.window.tabGroups.close(tabs).then(undefined, () => undefined);
}
