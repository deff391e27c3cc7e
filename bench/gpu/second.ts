/**
 * GPU machine entry for issue 4's GLM-4-9B rows (bench/secondModel.ts, the same code `npm run bench` runs when it
 * finds a GPU): bundled by prepare.sh into .device/second.cjs (node-llama-cpp external, import()ed), run by device.sh.
 *
 * Usage: node second.cjs --main 32B.gguf --small 9B.gguf --out DIR [--agree-main A.gguf --agree-small B.gguf]
 *          [--gpu auto|cuda|vulkan|metal|false] [--threads N]
 *          [--context N] [--reps N] [--chat-tokens N] [--prompt-bytes N]
 *          [--draft-configs NAME,NAME]  (names of bench/secondModel.ts DRAFT_CONFIGS; default all)
 * Prints the table; writes DIR/second-results.json (rows + details), also when a step fails (status, error).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderTable, score } from "../report";
import { secondModelBench, SECOND_MODEL_DEFAULTS } from "../secondModel";
import type { GpuChoice } from "../../server/model/llama/engine";

function args(): Map<string, string> {
    const m = new Map<string, string>();
    const a = process.argv.slice(2);
    for (let i = 0; i < a.length; i++) {
        if (!a[i]!.startsWith("--")) throw new Error(`unexpected argument ${a[i]}`);
        m.set(a[i]!.slice(2), a[i + 1] ?? "");
        i++;
    }
    return m;
}

function gpuChoice(v: string): GpuChoice {
    if (v === "false") return false;
    if (v === "auto" || v === "cuda" || v === "vulkan" || v === "metal") return v;
    throw new Error(`--gpu ${v}: auto, cuda, vulkan, metal or false`);
}

const t0 = performance.now();
const log = (message: string): void => {
    process.stderr.write(`[second ${new Date().toISOString().slice(11, 19)} +${((performance.now() - t0) / 1000).toFixed(1)}s] ${message}\n`);
};

async function main(): Promise<number> {
    const a = args();
    const num = (k: string, d: number): number => (a.has(k) ? Number(a.get(k)) : d);
    const out = a.get("out") ?? ".";
    const mainPath = a.get("main"), smallPath = a.get("small");
    if (!mainPath || !smallPath) throw new Error("--main and --small are required");
    const agreeMain = a.get("agree-main"), agreeSmall = a.get("agree-small");
    const file = path.join(out, "second-results.json");
    const record: Record<string, unknown> = { date: new Date().toISOString(), host: { cpus: os.availableParallelism(), node: process.version }, status: "running" };
    const save = (): void => fs.writeFileSync(file, JSON.stringify(record, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1) + "\n");
    save();
    try {
        const result = await secondModelBench({
            mainPath, smallPath, log,
            ...(agreeMain && agreeSmall ? { agree: { mainPath: agreeMain, smallPath: agreeSmall } } : {}),
            gpu: gpuChoice(a.get("gpu") ?? "auto"),
            threads: num("threads", os.availableParallelism()),
            contextSize: num("context", SECOND_MODEL_DEFAULTS.contextSize),
            reps: num("reps", SECOND_MODEL_DEFAULTS.reps),
            completionPromptBytes: num("prompt-bytes", SECOND_MODEL_DEFAULTS.completionPromptBytes),
            completionTokens: SECOND_MODEL_DEFAULTS.completionTokens,
            keystrokeTokens: SECOND_MODEL_DEFAULTS.keystrokeTokens,
            chatTokens: num("chat-tokens", SECOND_MODEL_DEFAULTS.chatTokens),
            ...(a.get("draft-configs") ? { draftConfigs: a.get("draft-configs")!.split(",").map((x) => x.trim()) } : {}),
        });
        const rows = result.rows.map(score);
        Object.assign(record, { status: "complete", rows, details: result.details, totalS: (performance.now() - t0) / 1000 });
        save();
        console.log(renderTable(rows));
        return 0;
    } catch (e) {
        Object.assign(record, { status: "failed", error: String((e as Error)?.stack ?? e), totalS: (performance.now() - t0) / 1000 });
        save();
        console.error(e);
        return 1;
    }
}

main().then((code) => process.exit(code), (e: unknown) => {
    console.error(e);
    process.exit(1);
});
