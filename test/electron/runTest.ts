/**
 * The @vscode/test-electron smoke suite: downloads VS Code (stable, or $VSCODE_TEST_VERSION; or uses
 * $VSCODE_EXECUTABLE), opens a copy of test/fixtures/workspace with the extension under development and the
 * test settings (tiny fixture model, CPU, 1-2 threads), and runs test/electron/suite/index.ts inside the
 * extension host. Needs network for the download and a display (on Linux without one: `xvfb-run -a`).
 *
 * `npm run test:electron` (builds the extension first). This machine has no network to download VS Code: the
 * same checks run in code-server by `npm run test:e2e`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as esbuild from "esbuild";
import { runTests } from "@vscode/test-electron";
import { FORCED_COMPLETION, testSettings } from "../e2e/support/settings";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

async function main(): Promise<number> {
    const outDir = path.join(REPO_ROOT, "out", "test-electron");
    await esbuild.build({
        entryPoints: { index: path.join(__dirname, "suite", "index.ts") },
        outdir: outDir,
        bundle: true,
        platform: "node",
        format: "cjs",
        target: "node20",
        external: ["vscode"],
        sourcemap: "inline",
        logLevel: "warning",
    });

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "glm4-electron-"));
    try {
        const workspace = path.join(tmp, "workspace");
        fs.cpSync(path.join(REPO_ROOT, "test", "fixtures", "workspace"), workspace, { recursive: true });
        const userData = path.join(tmp, "user-data");
        fs.mkdirSync(path.join(userData, "User"), { recursive: true });
        fs.writeFileSync(path.join(userData, "User", "settings.json"), JSON.stringify(testSettings(), null, 2));

        if (process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
            console.warn("No DISPLAY: VS Code (Electron) needs one on Linux; run under `xvfb-run -a npm run test:electron`.");
        }
        return await runTests({
            extensionDevelopmentPath: REPO_ROOT,
            extensionTestsPath: path.join(outDir, "index.js"),
            ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : { version: process.env.VSCODE_TEST_VERSION ?? "stable" }),
            launchArgs: [
                workspace,
                "--user-data-dir", userData,
                "--extensions-dir", path.join(tmp, "extensions"),
                "--disable-extensions",
                "--disable-workspace-trust",
                "--skip-welcome",
                "--skip-release-notes",
                "--disable-gpu",
            ],
            extensionTestsEnv: {
                ...FORCED_COMPLETION.env,
                GLM4_ELECTRON_WORKSPACE: workspace,
            },
        });
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    }
}

main().then((code) => process.exit(code), (e: unknown) => {
    console.error(`test:electron failed: ${(e as Error).message ?? e}`);
    process.exit(1);
});
