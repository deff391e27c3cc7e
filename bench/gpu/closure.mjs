// Lists the files of node-llama-cpp's run-time dependency closure (repo-relative, one per line) for the GPU
// bench carry: production dependencies only, the @node-llama-cpp/linux-x64-cuda prebuilt WITHOUT its 159 MB
// libggml-cuda.so (device.sh builds that one on the GPU machine), no other platform's prebuilts, no git bundle
// of the llama.cpp source, no source maps or type declarations.
// Usage: node bench/gpu/closure.mjs [--prebuilts linux-x64-cuda[,linux-x64]] [--dirs]
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const argv = process.argv.slice(2);
const prebuiltArg = argv.indexOf("--prebuilts");
const prebuilts = new Set((prebuiltArg >= 0 ? argv[prebuiltArg + 1] ?? "" : "linux-x64-cuda").split(",").filter(Boolean));

/** Node's resolution of package `name` required from package folder `from` (both repo-relative, posix). */
function resolvePackage(from, name) {
    let dir = from;
    for (;;) {
        const candidate = path.posix.join(dir, "node_modules", name);
        if (fs.existsSync(path.join(root, candidate, "package.json"))) return candidate;
        if (dir === "" || dir === ".") return undefined;
        const i = dir.lastIndexOf("/node_modules/");
        dir = i < 0 ? "" : dir.slice(0, i);
    }
}

const seen = new Set();
const missing = [];
function walk(dir) {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, dir, "package.json"), "utf8"));
    for (const name of Object.keys(pkg.dependencies ?? {})) {
        const dep = resolvePackage(dir, name);
        if (dep) walk(dep); else missing.push(`${dir} -> ${name}`);
    }
    for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
        if (name.startsWith("@node-llama-cpp/") && !prebuilts.has(name.slice("@node-llama-cpp/".length))) continue;
        const dep = resolvePackage(dir, name);
        if (dep) walk(dep);
        else if (name.startsWith("@node-llama-cpp/")) missing.push(`${dir} -> ${name} (requested prebuilt)`);
    }
}
walk("node_modules/node-llama-cpp");
if (missing.length) {
    console.error(`closure.mjs: missing dependencies (run npm ci):\n  ${missing.join("\n  ")}`);
    process.exit(1);
}

const EXCLUDE = [
    /^node_modules\/node-llama-cpp\/llama\/gitRelease\.bundle$/,
    /^node_modules\/@node-llama-cpp\/linux-x64-cuda\/bins\/linux-x64-cuda\/libggml-cuda\.so$/,
    /\.map$/, /\.d\.[cm]?ts$/,
];
const dirs = [...seen].sort();
if (argv.includes("--dirs")) {
    for (const d of dirs) console.log(d);
    process.exit(0);
}
const out = [];
const visit = (rel) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
        const child = `${rel}/${e.name}`;
        // nested node_modules are packages of their own: they are in the closure (and listed) only if needed
        if (e.isDirectory()) { if (e.name !== "node_modules") visit(child); }
        else if ((e.isFile() || e.isSymbolicLink()) && !EXCLUDE.some((re) => re.test(child))) out.push(child);
    }
};
for (const d of dirs) visit(d);
for (const f of out) console.log(f);
