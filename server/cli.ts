/**
 * Entry of out/cli.js: command-line tools that share the server's code (no LSP, no `vscode`).
 *
 *   node out/cli.js plan [--gguf PATH|URL|hf:URI] [--context N]... [--kv f16|q8_0] [--no-flash-attention]
 *                        [--engine-contexts N] [--cpu] [--json] [--no-color]
 *
 * `plan` prints the VRAM requirements table (quantization x context) coloured by whether each cell fits this
 * machine's GPU, the recommended choice with its reason, and the GPU classes. `--gguf` reads one model's header
 * instead (a local file, an http(s) URL or an hf: URI: only the header is fetched). `--json` prints the same
 * data the "GLM-4: Show GPU requirements" view gets.
 */
import { requirementsTable, validateContexts } from "./planner/table";
import { renderTable } from "./planner/render";
import { cpuOnlyMachine, detectMachine, readModelShape } from "./planner/machine";
import { ENGINE_CONTEXTS } from "./planner/firstRun";
import { parseHfUri } from "./model/download/hfUri";
import { resolveHubFiles } from "./model/download/hub";
import { expandLocalPath } from "./model/download/resolve";
import type { KvCacheType } from "./planner/ggml";

const USAGE = `usage: node out/cli.js plan [--gguf PATH|URL|hf:URI] [--context N]... [--kv f16|q8_0] [--no-flash-attention]
                          [--engine-contexts N] [--cpu] [--json] [--no-color]`;

interface PlanArgs { gguf?: string; contexts: number[]; kv: KvCacheType; fa: boolean; engineContexts: number; cpu: boolean; json: boolean; color: boolean }

function parseContext(v: string): number {
    const m = /^(\d+)([kK]?)$/.exec(v);
    if (!m) throw new Error(`--context ${v}: a number of tokens (e.g. 32768 or 32K)`);
    return Number(m[1]) * (m[2] ? 1024 : 1);
}

export function parsePlanArgs(argv: readonly string[]): PlanArgs {
    const a: PlanArgs = { contexts: [], kv: "f16", fa: true, engineContexts: ENGINE_CONTEXTS, cpu: false, json: false, color: !!process.stdout.isTTY };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]!;
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${arg} needs a value`);
            return v;
        };
        switch (arg) {
            case "--gguf": a.gguf = value(); break;
            case "--context": case "-c": a.contexts.push(parseContext(value())); break;
            case "--kv": {
                const v = value();
                if (v !== "f16" && v !== "q8_0") throw new Error(`--kv ${v}: f16 or q8_0`);
                a.kv = v;
                break;
            }
            case "--no-flash-attention": a.fa = false; break;
            case "--engine-contexts": a.engineContexts = Math.max(1, Number(value()) || 1); break;
            case "--cpu": a.cpu = true; break;
            case "--json": a.json = true; break;
            case "--no-color": a.color = false; break;
            case "--color": a.color = true; break;
            default: throw new Error(`unknown option ${arg}`);
        }
    }
    if (a.contexts.length) {
        const bad = validateContexts(a.contexts);
        if (bad) throw new Error(bad);
    }
    return a;
}

async function plan(argv: readonly string[]): Promise<number> {
    const a = parsePlanArgs(argv);
    const machine = a.cpu ? cpuOnlyMachine() : await detectMachine("auto");
    let file: { shape: Awaited<ReturnType<typeof readModelShape>>; uri: string } | undefined;
    if (a.gguf) {
        const ref = parseHfUri(a.gguf);
        const where = ref ? (await resolveHubFiles(ref))[0]!.url : /^https?:/i.test(a.gguf) ? a.gguf : expandLocalPath(a.gguf);
        file = { shape: await readModelShape(where), uri: a.gguf };
    }
    const table = requirementsTable(machine, {
        ...(a.contexts.length ? { contexts: a.contexts } : {}), kvCacheType: a.kv, flashAttention: a.fa, engineContexts: a.engineContexts,
    }, file);
    process.stdout.write(a.json ? `${JSON.stringify(table, null, 2)}\n` : `${renderTable(table, { color: a.color })}\n`);
    return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
    const [command, ...rest] = argv;
    try {
        if (command === "plan") return await plan(rest);
        if (command === "--help" || command === "-h" || command === "help") {
            process.stdout.write(`${USAGE}\n`);
            return 0;
        }
        process.stderr.write(`${USAGE}\n`);
        return 2;
    } catch (e) {
        process.stderr.write(`glm4: ${(e as Error).message}\n${USAGE}\n`);
        return 2;
    }
}

if (require.main === module) {
    void main(process.argv.slice(2)).then((code) => process.exit(code));
}
