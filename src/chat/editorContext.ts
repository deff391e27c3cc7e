/**
 * Editor services for the chat: the context the user attaches (selection, active file, `@file`,
 * `@problems`). Captures text at the moment of attaching; the server decides what fits.
 */
import * as vscode from "vscode";
import type { ChatAttachment } from "../../server/protocol/chat";

/** Files bigger than this are not offered as attachments (the server would cut them anyway). */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_PROBLEMS = 200;
const FILE_EXCLUDE = "**/{node_modules,.git,out,dist,build,.cache,.venv,__pycache__}/**";

/** The editor the chat acts on: the active one, or the last one that was active (the chat view has focus). */
export class EditorTracker implements vscode.Disposable {
    private last: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
    private readonly sub = vscode.window.onDidChangeActiveTextEditor((e) => { if (e) this.last = e; });

    get editor(): vscode.TextEditor | undefined {
        const active = vscode.window.activeTextEditor;
        if (active) return active;
        if (this.last && vscode.window.visibleTextEditors.includes(this.last)) return this.last;
        return vscode.window.visibleTextEditors[0];
    }

    dispose(): void {
        this.sub.dispose();
    }
}

export function relativeLabel(uri: vscode.Uri): string {
    return uri.scheme === "untitled" ? uri.path : vscode.workspace.asRelativePath(uri, false);
}

export function selectionAttachment(editor: vscode.TextEditor | undefined): ChatAttachment | null {
    if (!editor || editor.selection.isEmpty) return null;
    const { document: doc, selection: sel } = editor;
    const text = doc.getText(sel);
    if (!text.trim()) return null;
    const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line - 1 : sel.end.line;
    return {
        kind: "selection",
        label: `${relativeLabel(doc.uri)}:${sel.start.line + 1}-${endLine + 1}`,
        uri: doc.uri.toString(),
        languageId: doc.languageId,
        range: { start: { line: sel.start.line, character: sel.start.character }, end: { line: sel.end.line, character: sel.end.character } },
        text,
    };
}

export function fileAttachment(doc: vscode.TextDocument): ChatAttachment {
    return { kind: "file", label: relativeLabel(doc.uri), uri: doc.uri.toString(), languageId: doc.languageId, text: doc.getText() };
}

/** Opens a file as an attachment (open buffers keep their unsaved text); null for binary or huge files. */
export async function attachFile(uri: vscode.Uri, log: vscode.LogOutputChannel): Promise<ChatAttachment | null> {
    try {
        const stat = await vscode.workspace.fs.stat(uri);
        if (stat.size > MAX_FILE_BYTES) {
            void vscode.window.showWarningMessage(`${relativeLabel(uri)} is too large to attach (${Math.round(stat.size / 1024)} KB).`);
            return null;
        }
        const doc = await vscode.workspace.openTextDocument(uri);
        if (doc.getText().includes("\u0000")) {
            void vscode.window.showWarningMessage(`${relativeLabel(uri)} looks binary; it was not attached.`);
            return null;
        }
        return fileAttachment(doc);
    } catch (e) {
        log.warn(`chat: cannot attach ${uri.toString()}: ${e instanceof Error ? e.message : String(e)}`);
        void vscode.window.showWarningMessage(`Cannot attach ${relativeLabel(uri)}: ${e instanceof Error ? e.message : String(e)}`);
        return null;
    }
}

/** `@file`: a quick-pick over the workspace's files. */
export async function pickFile(log: vscode.LogOutputChannel): Promise<ChatAttachment | null> {
    const files = await vscode.workspace.findFiles("**/*", FILE_EXCLUDE, 5000);
    if (files.length === 0) {
        void vscode.window.showInformationMessage("There are no workspace files to attach.");
        return null;
    }
    const items = files
        .map((uri) => {
            const rel = relativeLabel(uri);
            const slash = rel.lastIndexOf("/");
            return { label: rel.slice(slash + 1), description: slash >= 0 ? rel.slice(0, slash) : "", uri };
        })
        .sort((a, b) => a.label.localeCompare(b.label));
    const picked = await vscode.window.showQuickPick(items, { placeHolder: "Attach a file to the chat", matchOnDescription: true });
    return picked ? attachFile(picked.uri, log) : null;
}

const SEVERITY: Record<vscode.DiagnosticSeverity, string> = {
    [vscode.DiagnosticSeverity.Error]: "error",
    [vscode.DiagnosticSeverity.Warning]: "warning",
    [vscode.DiagnosticSeverity.Information]: "info",
    [vscode.DiagnosticSeverity.Hint]: "hint",
};

/** `@problems`: errors and warnings of the workspace (most severe first), as text lines. */
export function problemsAttachment(): ChatAttachment | null {
    const lines: { severity: number; line: string }[] = [];
    for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
        for (const d of diagnostics) {
            if (d.severity > vscode.DiagnosticSeverity.Warning) continue;
            const source = d.source ? ` (${d.source}${d.code !== undefined ? ` ${typeof d.code === "object" ? d.code.value : d.code}` : ""})` : "";
            lines.push({ severity: d.severity, line: `${relativeLabel(uri)}:${d.range.start.line + 1}:${d.range.start.character + 1} ${SEVERITY[d.severity]}: ${d.message}${source}` });
        }
    }
    if (lines.length === 0) return null;
    lines.sort((a, b) => a.severity - b.severity);
    const shown = lines.slice(0, MAX_PROBLEMS).map((l) => l.line);
    if (lines.length > MAX_PROBLEMS) shown.push(`… and ${lines.length - MAX_PROBLEMS} more`);
    return { kind: "problems", label: `@problems (${lines.length})`, text: shown.join("\n") };
}
