/**
 * The smoke suite that runs inside VS Code's extension host (@vscode/test-electron; see ../runTest.ts):
 * the extension activates, its commands are registered, the language server starts on the tiny model, and an
 * inline completion produced by the server (forced through the real engine by GLM4_COMPLETION_TEST_GRAMMAR)
 * is shown and accepted into the document. `run()` throws when a test failed.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { FORCED_COMPLETION } from "../../e2e/support/settings";

const EXTENSION_ID = "glm4-code.glm4-code";

/** What the extension's `activate` returns (src/main.ts `Glm4Api`), the part this suite reads. */
interface Glm4Api {
    serverState(): string;
    readonly ctx: { readonly status: { state: string; modelName?: string } | undefined };
}

interface Case {
    name: string;
    timeoutMs: number;
    fn: () => Promise<void>;
}

const cases: Case[] = [];
function test(name: string, timeoutMs: number, fn: () => Promise<void>): void {
    cases.push({ name, timeoutMs, fn });
}

/** Test output: the console (test-electron forwards it), and $GLM4_SUITE_LOG when set (runs inside code-server). */
function report(line: string): void {
    console.log(line);
    if (process.env.GLM4_SUITE_LOG) fs.appendFileSync(process.env.GLM4_SUITE_LOG, line + "\n");
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns a value or `timeoutMs` passed (then throws with `what`). */
async function until<T>(what: string, timeoutMs: number, everyMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await check();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(everyMs);
    }
}

function extension(): vscode.Extension<Glm4Api> {
    const ext = vscode.extensions.getExtension<Glm4Api>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    return ext;
}

test("the extension activates", 30_000, async () => {
    const api = await extension().activate();
    assert.ok(extension().isActive);
    assert.equal(typeof api.serverState, "function");
});

test("every contributed command is registered", 10_000, async () => {
    const contributed = (extension().packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), []);
});

test("the language server starts and loads the tiny model", 90_000, async () => {
    const api = extension().exports;
    await until("server state 'running'", 55_000, 200, () => api.serverState() === "running" ? true : undefined);
    const status = await until("model state 'ready'", 30_000, 200, () => api.ctx.status?.state === "ready" ? api.ctx.status : undefined);
    assert.equal(status.modelName, "glm4-tiny-random");
});

test("an inline completion from the server is shown and accepted", 120_000, async () => {
    const workspace = process.env.GLM4_ELECTRON_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(workspace, "a workspace is open");
    const doc = await vscode.workspace.openTextDocument(path.join(workspace, "src", "answer.ts"));
    const editor = await vscode.window.showTextDocument(doc, { preview: false, preserveFocus: false });
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    assert.ok(await editor.edit((e) => e.insert(end, FORCED_COMPLETION.typed)));
    const cursor = doc.lineAt(doc.lineCount - 1).range.end;
    editor.selection = new vscode.Selection(cursor, cursor);
    const expected = FORCED_COMPLETION.typed + FORCED_COMPLETION.suggestion;

    // The model may still be loading: ask (Alt+\ does the same), give the suggestion time to show, accept it.
    await until(`"${expected}" in the document`, 110_000, 0, async () => {
        await vscode.window.showTextDocument(doc, { preview: false, preserveFocus: false });
        report(`  active editor: ${vscode.window.activeTextEditor?.document.uri.fsPath ?? "none"}, cursor ${editor.selection.active.line}:${editor.selection.active.character}`);
        await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
        for (let i = 0; i < 20; i++) {
            await sleep(250);
            await vscode.commands.executeCommand("editor.action.inlineSuggest.commit");
            if (doc.getText().split("\n").includes(expected)) return true;
        }
        return undefined;
    });
    assert.ok(doc.getText().includes(FORCED_COMPLETION.suggestion));
    await vscode.commands.executeCommand("workbench.action.files.revert");
});

export async function run(): Promise<void> {
    let failed = 0;
    const t0 = Date.now();
    for (const c of cases) {
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        try {
            await Promise.race([
                c.fn(),
                new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs); }),
            ]);
            report(`✔ ${c.name} (${Date.now() - started} ms)`);
        } catch (e) {
            failed++;
            report(`✖ ${c.name} (${Date.now() - started} ms)\n  ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        } finally {
            clearTimeout(timer);
        }
    }
    report(`${cases.length - failed} passed, ${failed} failed (${Date.now() - t0} ms)`);
    if (failed) throw new Error(`${failed} of ${cases.length} tests failed`);
}
