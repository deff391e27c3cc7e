/**
 * One end-to-end session: a fresh copy of test/fixtures/workspace in a temporary folder, code-server with the
 * packaged extension (out/glm4-code.vsix) and test settings (the tiny fixture model, 1-2 threads, 2048 context,
 * CPU only, trust off, inline suggestions on), and Chromium showing the workbench. `dispose()` closes the
 * browser, kills code-server's process group, copies logs to test-results/<name>-logs/ and deletes the temporary
 * folder; it runs on failure too (call it from `after`).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startCodeServer, type CodeServer } from "./codeServer";
import { REPO_ROOT } from "./install";
import { testSettings } from "./settings";
import { Workbench } from "./workbench";

export const RESULTS_DIR = path.join(REPO_ROOT, "test-results");
export const FIXTURE_WORKSPACE = path.join(REPO_ROOT, "test", "fixtures", "workspace");
export const DEFAULT_VSIX = path.join(REPO_ROOT, "out", "glm4-code.vsix");

export interface E2eOptions {
    /** Names the logs folder (test-results/<name>-logs). */
    name: string;
    /** Settings merged over the test defaults. */
    settings?: Record<string, unknown>;
    /** Environment for code-server and the language server it starts (e.g. GLM4_COMPLETION_TEST_GRAMMAR). */
    env?: Record<string, string>;
}

export interface E2eSession {
    readonly workspace: string;
    readonly server: CodeServer;
    readonly wb: Workbench;
    /** Absolute path of a workspace file. */
    file(relativePath: string): string;
    dispose(): Promise<void>;
}

/** The vsix the tests install: $GLM4_E2E_VSIX, else out/glm4-code.vsix (built with `npm run package` if missing). */
export function ensureVsix(): string {
    const vsix = process.env.GLM4_E2E_VSIX ?? DEFAULT_VSIX;
    if (!fs.existsSync(vsix)) {
        if (process.env.GLM4_E2E_VSIX) throw new Error(`GLM4_E2E_VSIX=${vsix} does not exist`);
        console.log(`${path.relative(REPO_ROOT, vsix)} is missing: packaging it (npm run package)`);
        const r = spawnSync(process.execPath, [path.join(REPO_ROOT, ".ci", "package.mjs")], { cwd: REPO_ROOT, stdio: "inherit", timeout: 300_000 });
        if (r.status !== 0) throw new Error("packaging failed");
    }
    return vsix;
}

/** Copies code-server's log and VS Code's logs (extension host, our output channel) into `to`. */
export function copyLogs(from: CodeServer, to: string): void {
    fs.rmSync(to, { recursive: true, force: true });
    fs.mkdirSync(to, { recursive: true });
    if (fs.existsSync(from.logFile)) fs.copyFileSync(from.logFile, path.join(to, "code-server.log"));
    const logs = path.join(from.userDataDir, "logs");
    if (fs.existsSync(logs)) fs.cpSync(logs, path.join(to, "user-data-logs"), { recursive: true });
}

export async function startE2eSession(options: E2eOptions): Promise<E2eSession> {
    const vsix = ensureVsix();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `glm4-e2e-${options.name}-`));
    const workspace = path.join(tmp, "workspace");
    fs.cpSync(FIXTURE_WORKSPACE, workspace, { recursive: true });
    let server: CodeServer | undefined;
    let wb: Workbench | undefined;
    let disposed: Promise<void> | undefined;
    const dispose = (): Promise<void> => disposed ??= (async () => {
        await wb?.close();
        await server?.stop();
        if (server) copyLogs(server, path.join(RESULTS_DIR, `${options.name}-logs`));
        fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    })();
    try {
        server = await startCodeServer({
            workspace,
            stateDir: path.join(tmp, "state"),
            vsix,
            settings: { ...testSettings(), ...options.settings },
            env: { GLM4_DEBUG: "1", ...options.env },
        });
        wb = await Workbench.open(server.workspaceUrl, { screenshotsDir: RESULTS_DIR });
    } catch (e) {
        const tail = server?.logTail() ?? "";
        await dispose();
        throw new Error(`${(e as Error).message}${tail ? `\n--- code-server log ---\n${tail}` : ""}`);
    }
    const s = server;
    const w = wb;
    return { workspace, server: s, wb: w, file: (rel) => path.join(workspace, rel), dispose };
}
