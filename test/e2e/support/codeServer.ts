/**
 * A code-server process (VS Code in the browser) for one test run or for `npm start`: its own user-data and
 * extensions folders, the extension installed from the vsix, user settings written before start, a free port on
 * 127.0.0.1, no auth. `stop()` kills the whole process group (code-server, its extension host, our language
 * server) and is safe to call twice.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { codeServerPaths, ensureCodeServer } from "./install";

export interface CodeServerOptions {
    /** Folder opened in the workbench. */
    workspace: string;
    /** Root for user-data/ and extensions/ (created). */
    stateDir: string;
    /** vsix to install before start (skipped when undefined). */
    vsix?: string;
    /** User settings (settings.json), merged over nothing. */
    settings?: Record<string, unknown>;
    /** Extra environment for code-server and everything it starts (extension host, language server). */
    env?: Record<string, string>;
    /** Port; default: a free one. */
    port?: number;
    /** Bind address; default 127.0.0.1. */
    host?: string;
    /** Where code-server's stdout/stderr go (default: <stateDir>/code-server.log). */
    logFile?: string;
    /** Milliseconds to wait for /healthz (default 60 000). */
    startTimeoutMs?: number;
}

export interface CodeServer {
    readonly url: string;
    /** URL that opens `workspace` in the workbench. */
    readonly workspaceUrl: string;
    readonly userDataDir: string;
    readonly extensionsDir: string;
    readonly logFile: string;
    readonly process: ChildProcess;
    /** Last lines of code-server's log (for failure messages). */
    logTail(lines?: number): string;
    stop(): Promise<void>;
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, host, () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/** The environment for code-server: no `npm_*` from an outer `npm run`, no VS Code variables of a parent window. */
function cleanEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (/^(npm_|VSCODE_|ELECTRON_)/i.test(k) || k === "NODE_OPTIONS") continue;
        env[k] = v;
    }
    return { ...env, ...extra };
}

/** Installs a vsix into an extensions folder with code-server's CLI (bounded). */
export function installExtension(vsix: string, userDataDir: string, extensionsDir: string): void {
    const cs = codeServerPaths();
    const r = spawnSync(cs.node, [cs.entry, "--user-data-dir", userDataDir, "--extensions-dir", extensionsDir, "--install-extension", vsix, "--force"], {
        encoding: "utf8", timeout: 120_000, env: cleanEnv(undefined),
    });
    if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) {
        throw new Error(`code-server --install-extension ${vsix} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
    }
}

export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
    const dir = path.join(userDataDir, "User");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "settings.json"), JSON.stringify(settings, null, 2) + "\n");
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number, tail: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail()}`);
        }
        try {
            const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
            if (res.ok) return;
            last = `HTTP ${res.status}`;
        } catch (e) {
            last = (e as Error).message;
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`code-server not ready after ${timeoutMs} ms (${last}):\n${tail()}`);
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
    const cs = await ensureCodeServer();
    const userDataDir = path.join(options.stateDir, "user-data");
    const extensionsDir = path.join(options.stateDir, "extensions");
    fs.mkdirSync(userDataDir, { recursive: true });
    fs.mkdirSync(extensionsDir, { recursive: true });
    if (options.settings) writeUserSettings(userDataDir, options.settings);
    if (options.vsix) installExtension(options.vsix, userDataDir, extensionsDir);

    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? await freePort(host);
    const logFile = options.logFile ?? path.join(options.stateDir, "code-server.log");
    const log = fs.openSync(logFile, "a");
    const child = spawn(cs.node, [
        cs.entry,
        "--bind-addr", `${host}:${port}`,
        "--auth", "none",
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--user-data-dir", userDataDir,
        "--extensions-dir", extensionsDir,
        options.workspace,
    ], { env: cleanEnv(options.env), stdio: ["ignore", log, log], detached: true });
    fs.closeSync(log);

    const logTail = (lines = 60): string => {
        try {
            return fs.readFileSync(logFile, "utf8").split("\n").slice(-lines).join("\n");
        } catch {
            return "(no log)";
        }
    };
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => stopped ??= killGroup(child);
    const url = `http://${host}:${port}`;
    try {
        await waitForHealth(url, child, options.startTimeoutMs ?? 60_000, logTail);
    } catch (e) {
        await stop();
        throw e;
    }
    return {
        url,
        workspaceUrl: `${url}/?folder=${encodeURIComponent(options.workspace)}`,
        userDataDir, extensionsDir, logFile, process: child, logTail, stop,
    };
}

/** SIGTERM to the process group, SIGKILL after 5 s; resolves when the leader exited. */
export async function killGroup(child: ChildProcess): Promise<void> {
    if (child.pid === undefined) return;
    const pid = child.pid;
    const exited = child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((r) => child.once("exit", () => r()));
    const signal = (s: NodeJS.Signals): void => {
        try { process.kill(-pid, s); } catch { /* already gone */ }
    };
    signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), 5_000);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 8_000))]);
    clearTimeout(timer);
    // Children that outlive the leader (extension host, language server) still belong to the group.
    signal("SIGKILL");
}
