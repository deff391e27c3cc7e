// One esbuild context per runtime: the extension host (cjs, `vscode` external), the language server and its
// CLI (cjs, `node-llama-cpp` external and loaded with `await import()`), and the webviews (iife, browser).
// Type-checking is separate: `npm run typecheck` (tsc).
// Usage: node esbuild.mjs [--watch] [--production]
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

/** @type {import("esbuild").BuildOptions} */
const common = {
    bundle: true,
    sourcemap: production ? false : "linked",
    minify: production,
    logLevel: "info",
    legalComments: "none",
};

const node = { ...common, platform: "node", format: "cjs", target: "node20" };

/** @type {import("esbuild").BuildOptions[]} */
const builds = [
    { ...node, entryPoints: { extension: "src/main.ts" }, outdir: "out", external: ["vscode"] },
    {
        ...node,
        entryPoints: { server: "server/main.ts", cli: "server/cli.ts" },
        outdir: "out",
        external: ["node-llama-cpp"],
    },
    {
        ...common,
        platform: "browser",
        format: "iife",
        target: "es2022",
        entryPoints: { chat: "media/chat/main.ts", planner: "media/planner/main.ts" },
        outdir: "media/dist",
        loader: { ".css": "css" },
    },
];

const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
} else {
    await Promise.all(contexts.map((c) => c.rebuild()));
    await Promise.all(contexts.map((c) => c.dispose()));
}
