// Builds the extension package: `npm run package` -> out/glm4-code.vsix.
//
// Everything is bundled by esbuild into out/*.js except node-llama-cpp (ESM, native prebuilt binaries, loaded by
// the server with `await import("node-llama-cpp")`). It ships inside the vsix with its production dependency tree,
// computed here from the installed node_modules, and with only the chosen prebuilt binary packages:
//
//   GLM4_VSIX_PREBUILTS   comma list of @node-llama-cpp/* packages to ship (default: "linux-x64", the CPU build).
//                         "gpu" = linux-x64,linux-x64-cuda,linux-x64-cuda-ext,linux-x64-vulkan (345 MB vsix: CUDA 13's
//                         libggml-cuda.so is ~150 MB, the CUDA runtime fallback in -cuda-ext ~360 MB unpacked);
//                         GLM4_VSIX_PREBUILTS=linux-x64,linux-x64-cuda (149 MB vsix) for machines with CUDA 13 installed.
//                         The CPU default gives a ~13 MB vsix.
//   GLM4_VSIX_TARGET      vsce --target (default "linux-x64"; the prebuilts are per platform).
//   GLM4_VSIX_OUT         output file (default out/glm4-code.vsix).
//
// Usage: node .ci/package.mjs [--ls] [--no-build]
//   --ls        list the files that would be packaged (vsce ls) instead of packaging
//   --no-build  skip the production esbuild step
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const t0 = Date.now();

const GPU_SET = ["linux-x64", "linux-x64-cuda", "linux-x64-cuda-ext", "linux-x64-vulkan"];
const prebuiltsEnv = (process.env.GLM4_VSIX_PREBUILTS ?? "linux-x64").trim();
const prebuilts = new Set(prebuiltsEnv === "gpu" ? GPU_SET : prebuiltsEnv.split(",").map((s) => s.trim()).filter(Boolean));
const target = process.env.GLM4_VSIX_TARGET ?? "linux-x64";
const outFile = path.resolve(root, process.env.GLM4_VSIX_OUT ?? "out/glm4-code.vsix");

/** Runs a command, inheriting output; exits on failure. */
function run(cmd, cmdArgs, cwd = root) {
    console.log(`$ ${path.basename(cmd)} ${cmdArgs.join(" ")}`);
    const r = spawnSync(cmd, cmdArgs, { cwd, stdio: "inherit" });
    if (r.status !== 0) {
        console.error(`${cmd} failed (${r.error?.message ?? `exit ${r.status}`})`);
        process.exit(1);
    }
}

function readJson(file) {
    return JSON.parse(fs.readFileSync(file, "utf8"));
}

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

/** node-llama-cpp and its production dependency closure, as repo-relative folders. */
function dependencyClosure(start) {
    const seen = new Set();
    const missing = [];
    const walk = (dir) => {
        if (seen.has(dir)) return;
        seen.add(dir);
        const pkg = readJson(path.join(root, dir, "package.json"));
        for (const name of Object.keys(pkg.dependencies ?? {})) {
            const dep = resolvePackage(dir, name);
            if (dep) walk(dep);
            else missing.push(`${dir} -> ${name}`);
        }
        for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
            if (name.startsWith("@node-llama-cpp/") && !prebuilts.has(name.slice("@node-llama-cpp/".length))) continue;
            const dep = resolvePackage(dir, name);
            if (dep) walk(dep);
            else if (name.startsWith("@node-llama-cpp/")) missing.push(`${dir} -> ${name} (requested prebuilt)`);
        }
    };
    walk(start);
    if (missing.length) {
        console.error(`missing production dependencies (run npm ci):\n  ${missing.join("\n  ")}`);
        process.exit(1);
    }
    return [...seen].sort();
}

/** What the allowlist puts back (`!path` or `!dir/**` lines of .vscodeignore), copied into the stage when present. */
function stageAllowlisted(stage) {
    const lines = fs.readFileSync(path.join(root, ".vscodeignore"), "utf8").split(/\r?\n/).map((l) => l.trim());
    for (const line of lines) {
        if (!line.startsWith("!")) continue;
        const rel = line.slice(1).replace(/\/\*\*$/, "");
        if (rel.includes("*")) throw new Error(`.vscodeignore: only "!file" and "!dir/**" are supported by the packager, got ${line}`);
        const src = path.join(root, rel);
        if (fs.existsSync(src)) fs.cpSync(src, path.join(stage, rel), { recursive: true, filter: (f) => !f.endsWith(".map") });
    }
}

/** Copies one package folder of the closure, without its nested node_modules (those are closure entries too). */
const SKIP = [/\.map$/, /\.d\.[cm]?ts$/, /^node_modules\/node-llama-cpp\/llama\/gitRelease\.bundle$/];
function stagePackage(stage, dir) {
    const from = path.join(root, dir);
    fs.cpSync(from, path.join(stage, dir), {
        recursive: true,
        filter: (f) => {
            const rel = path.relative(root, f).split(path.sep).join("/");
            if (rel !== dir && path.relative(from, f).split(path.sep).includes("node_modules")) return false;
            return !SKIP.some((re) => re.test(rel));
        },
    });
}

if (!args.has("--no-build")) run(process.execPath, ["esbuild.mjs", "--production"]);

// Stage: the allowlisted files plus node_modules holding exactly node-llama-cpp's tree, then let vsce (with npm
// dependency detection, which lists that tree) package it. Packaging from the repository root instead would
// make vsce test every file of every production dependency against one allowlist pattern per package: minutes.
const closure = dependencyClosure("node_modules/node-llama-cpp");
const stage = path.join(root, "out", "vsix-stage");
fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });
stageAllowlisted(stage);
for (const dir of closure) stagePackage(stage, dir);
const pkg = readJson(path.join(root, "package.json"));
pkg.dependencies = { "node-llama-cpp": pkg.dependencies["node-llama-cpp"] };
delete pkg.devDependencies;
delete pkg.scripts;
fs.writeFileSync(path.join(stage, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
fs.writeFileSync(path.join(stage, ".vscodeignore"), [
    fs.readFileSync(path.join(root, ".vscodeignore"), "utf8").trimEnd(),
    `# Generated by .ci/package.mjs: node-llama-cpp's production tree (${closure.length} packages), prebuilts: ${[...prebuilts].join(", ")}`,
    "!node_modules/**",
    "",
].join("\n"));

const vsce = path.join(root, "node_modules", "@vscode", "vsce", "vsce");
if (args.has("--ls")) {
    run(process.execPath, [vsce, "ls", "--dependencies"], stage);
} else {
    fs.rmSync(outFile, { force: true });
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    run(process.execPath, [vsce, "package", "--dependencies", "--target", target, "--allow-missing-repository", "--skip-license", "--no-rewrite-relative-links", "-o", outFile], stage);
    const mb = fs.statSync(outFile).size / 1024 / 1024;
    console.log(`${path.relative(root, outFile)}: ${mb.toFixed(1)} MB, target ${target}, prebuilts ${[...prebuilts].join(", ")}, ` +
        `${closure.length} packages, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
