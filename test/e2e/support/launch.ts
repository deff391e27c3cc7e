/**
 * `npm start [-- [FOLDER] [options]]`: run the extension in a real VS Code.
 *
 * Builds out/glm4-code.vsix, provisions code-server (Node 24 + code-server into .cache/, once), installs the
 * extension and opens FOLDER (default: the current folder) in VS Code in the browser with the extension's
 * DEFAULT settings: the model is GLM-4-32B-0414 (`hf:` URI), downloaded into the extension's storage on first
 * use. User data (settings, the downloaded model) persists in .cache/launch/ (.cache/launch-tiny/ with --tiny)
 * between runs. Prints the URL and runs until Ctrl+C.
 *
 * Options:
 *   --port N       port (default 8080, or a free one when 8080 is taken)
 *   --host H       bind address (default 127.0.0.1; use 0.0.0.0 to reach it from another machine, e.g. through
 *                  an SSH tunnel; there is no password: --auth none)
 *   --model M      set glm4.model (a .gguf path or an hf: URI) in the launch profile's user settings
 *   --tiny         use the tiny random-weight test model (instant, output is noise: for trying the UI)
 *   --no-build     reuse out/glm4-code.vsix
 *   --code         install into a local VS Code with `code --install-extension` instead, and exit
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { fixtureModelPath, testThreads } from "../../support/models";
import { freePort, startCodeServer } from "./codeServer";
import { CACHE_DIR, ensureCodeServer, REPO_ROOT } from "./install";
import { DEFAULT_VSIX } from "./session";

interface LaunchArgs {
    folder: string;
    port?: number;
    host: string;
    model?: string;
    tiny: boolean;
    build: boolean;
    code: boolean;
}

function usage(): never {
    console.log(fs.readFileSync(__filename, "utf8").split("*/")[0]!.replace(/^\/\*\*\n?/, "").replace(/^ \* ?/gm, ""));
    process.exit(0);
}

function parseArgs(argv: string[]): LaunchArgs {
    const a: LaunchArgs = { folder: process.env.INIT_CWD ?? process.cwd(), host: "127.0.0.1", tiny: false, build: true, code: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]!;
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${arg} needs a value`);
            return v;
        };
        if (arg === "--help" || arg === "-h") usage();
        else if (arg === "--port") a.port = Number(value());
        else if (arg === "--host") a.host = value();
        else if (arg === "--model") a.model = value();
        else if (arg === "--tiny") a.tiny = true;
        else if (arg === "--no-build") a.build = false;
        else if (arg === "--code") a.code = true;
        else if (arg.startsWith("-")) throw new Error(`unknown option ${arg} (--help lists them)`);
        else a.folder = path.resolve(process.env.INIT_CWD ?? process.cwd(), arg);
    }
    return a;
}

function which(cmd: string): string | undefined {
    const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

function buildVsix(build: boolean): string {
    if (build || !fs.existsSync(DEFAULT_VSIX)) {
        const r = spawnSync(process.execPath, [path.join(REPO_ROOT, ".ci", "package.mjs")], { cwd: REPO_ROOT, stdio: "inherit" });
        if (r.status !== 0) throw new Error("packaging failed (npm run package)");
    }
    return DEFAULT_VSIX;
}

/** Settings of the launch profile: written once, then the user's own (edited in the UI) are kept. */
function profileSettings(userDataDir: string, args: LaunchArgs): void {
    const file = path.join(userDataDir, "User", "settings.json");
    let settings: Record<string, unknown> = {};
    try {
        settings = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch {
        settings = { "workbench.secondarySideBar.defaultVisibility": "hidden", "telemetry.telemetryLevel": "off", "update.mode": "none" };
    }
    if (args.tiny) Object.assign(settings, { "glm4.model": fixtureModelPath("tiny"), "glm4.threads": testThreads(), "glm4.gpuLayers": 0, "glm4.contextSize": 2048 });
    else if (args.model) settings["glm4.model"] = args.model;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(settings, null, 2) + "\n");
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const code = which("code");
    if (args.code) {
        if (!code) throw new Error("no `code` command on PATH (VS Code: Command Palette > Shell Command: Install 'code' command in PATH)");
        const vsix = buildVsix(args.build);
        const r = spawnSync(code, ["--install-extension", vsix, "--force"], { stdio: "inherit" });
        if (r.status !== 0) throw new Error("code --install-extension failed");
        console.log(`\nInstalled into your VS Code. Open a folder with \`code ${args.folder}\`; the status bar shows the model's state.`);
        return;
    }
    if (!fs.existsSync(args.folder) || !fs.statSync(args.folder).isDirectory()) throw new Error(`not a folder: ${args.folder}`);

    const vsix = buildVsix(args.build);
    await ensureCodeServer();
    // The tiny model gets its own profile, so its settings never stick to a normal launch.
    const stateDir = path.join(CACHE_DIR, args.tiny ? "launch-tiny" : "launch");
    const userDataDir = path.join(stateDir, "user-data");
    profileSettings(userDataDir, args);
    const port = args.port ?? ((await portFree(args.host, 8080)) ? 8080 : await freePort(args.host));
    const server = await startCodeServer({ workspace: args.folder, stateDir, vsix, port, host: args.host, startTimeoutMs: 120_000 });
    const shown = args.host === "0.0.0.0" ? server.workspaceUrl.replace("0.0.0.0", "localhost") : server.workspaceUrl;
    const lines = [
        "",
        `GLM-4 Code is running in VS Code (code-server) on ${args.folder}:`,
        "",
        `    ${shown}`,
        "",
        args.tiny ? "Model: the tiny random test model (output is noise)." : "Model: the glm4.model setting (default GLM-4-32B-0414, downloaded on first use; the status bar shows progress).",
        `Logs: ${path.relative(process.cwd(), server.logFile)}; GLM-4 output: Command Palette > “GLM-4: Show Logs”.`,
    ];
    if (code) lines.push("A local VS Code was found: `npm start -- --code` installs the extension there instead.");
    lines.push("Ctrl+C stops it.");
    console.log(lines.join("\n"));

    let stopping = false;
    const stop = (): void => {
        stopping = true;
        void server.stop().then(() => process.exit(0));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    server.process.on("exit", (c) => {
        if (stopping) return;
        console.error(`code-server exited (${c}); see ${server.logFile}`);
        process.exit(1);
    });
}

function portFree(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const srv = net.createServer();
        srv.once("error", () => resolve(false));
        srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
}

main().catch((e: unknown) => {
    console.error(`npm start: ${(e as Error).message}`);
    process.exit(1);
});
