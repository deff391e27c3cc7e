/**
 * Runs the @vscode/test-electron suite (suite/index.ts) inside code-server's extension host instead of a
 * downloaded Electron VS Code: a generated runner extension, installed next to the packaged glm4-code, calls the
 * suite's `run()` on startup and writes the outcome and the suite's output to a file. Proves the suite's checks
 * against a real VS Code API here, where VS Code cannot be downloaded.
 *
 * `tsx test/electron/inCodeServer.ts` (needs out/glm4-code.vsix and the code-server of test/e2e/support/install.ts).
 * Exits non-zero when the suite failed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as esbuild from "esbuild";
import { installExtension, startCodeServer } from "../e2e/support/codeServer";
import { copyLogs, ensureVsix, FIXTURE_WORKSPACE, RESULTS_DIR } from "../e2e/support/session";
import { FORCED_COMPLETION, testSettings } from "../e2e/support/settings";
import { Workbench } from "../e2e/support/workbench";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface SuiteOutcome {
    ok: boolean;
    output: string;
}

/** Builds the runner extension (the suite bundled in) as a vsix in `dir`. */
async function buildRunner(dir: string): Promise<string> {
    const ext = path.join(dir, "runner");
    fs.mkdirSync(ext, { recursive: true });
    await esbuild.build({
        entryPoints: { suite: path.join(__dirname, "suite", "index.ts") },
        outdir: ext, bundle: true, platform: "node", format: "cjs", target: "node20", external: ["vscode"], logLevel: "warning",
    });
    fs.writeFileSync(path.join(ext, "extension.js"), `
const fs = require("fs");
exports.activate = async () => {
    let ok = false, error = "";
    try { await require("./suite.js").run(); ok = true; } catch (e) { error = String(e && e.stack || e); }
    const log = fs.existsSync(process.env.GLM4_SUITE_LOG) ? fs.readFileSync(process.env.GLM4_SUITE_LOG, "utf8") : "";
    fs.writeFileSync(process.env.GLM4_SUITE_RESULT, JSON.stringify({ ok, output: log + error }));
};
`);
    fs.writeFileSync(path.join(ext, "package.json"), JSON.stringify({
        name: "suite-runner", publisher: "glm4-test", version: "0.0.1", license: "MIT",
        engines: { vscode: "^1.90.0" }, main: "./extension.js", activationEvents: ["onStartupFinished"],
        extensionDependencies: ["glm4-code.glm4-code"],
    }, null, 2));
    fs.writeFileSync(path.join(ext, "README.md"), "Runs the glm4-code electron suite inside code-server.\n");
    const vsix = path.join(dir, "runner.vsix");
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "node_modules", "@vscode", "vsce", "vsce"), "package", "--no-dependencies", "--allow-missing-repository", "--skip-license", "-o", vsix],
        { cwd: ext, encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`packaging the runner failed:\n${r.stdout}\n${r.stderr}`);
    return vsix;
}

export async function runSuiteInCodeServer(): Promise<SuiteOutcome> {
    const vsix = ensureVsix();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "glm4-suite-"));
    const workspace = path.join(tmp, "workspace");
    fs.cpSync(FIXTURE_WORKSPACE, workspace, { recursive: true });
    const result = path.join(tmp, "result.json");
    const log = path.join(tmp, "suite.log");
    const stateDir = path.join(tmp, "state");
    const runner = await buildRunner(tmp);
    installExtension(runner, path.join(stateDir, "user-data"), path.join(stateDir, "extensions"));
    const server = await startCodeServer({
        workspace, stateDir, vsix, settings: testSettings(),
        env: { ...FORCED_COMPLETION.env, GLM4_SUITE_RESULT: result, GLM4_SUITE_LOG: log, GLM4_ELECTRON_WORKSPACE: workspace, GLM4_DEBUG: "1" },
    });
    let wb: Workbench | undefined;
    try {
        // The extension host starts when a window connects.
        wb = await Workbench.open(server.workspaceUrl, { screenshotsDir: RESULTS_DIR });
        const deadline = Date.now() + 240_000;
        while (!fs.existsSync(result)) {
            if (Date.now() > deadline) throw new Error(`the suite did not finish in 240 s\n${server.logTail()}`);
            await new Promise((r) => setTimeout(r, 500));
        }
        await wb.screenshot("electron-suite-in-code-server");
        return JSON.parse(fs.readFileSync(result, "utf8")) as SuiteOutcome;
    } finally {
        await wb?.close();
        await server.stop();
        copyLogs(server, path.join(RESULTS_DIR, "electron-suite-logs"));
        fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    }
}

if (require.main === module) {
    runSuiteInCodeServer().then((o) => {
        console.log(o.output);
        process.exit(o.ok ? 0 : 1);
    }, (e: unknown) => {
        console.error((e as Error).message);
        process.exit(1);
    });
}
