/**
 * GPU bench: loads a (random-weight, real-shape) GLM-4 GGUF through node-llama-cpp and measures, per context
 * configuration, the VRAM it takes (nvidia-smi and `llama.getVramState()`), node-llama-cpp's own estimates (V1
 * heuristic and V2 llama.cpp no-alloc simulation), prompt speed and decode speed. One context at a time.
 *
 * Bundled by prepare.sh into .device/measure.mjs (node-llama-cpp external; the file must sit next to the
 * node_modules it imports from) and run by device.sh with the carried Node binary. Runs on the CPU too
 * (`--gpu false`, tiny model), which is how prepare/dryrun.sh checks it without a GPU.
 *
 * Usage: node measure.mjs --model M.gguf --out DIR [--gpu cuda|false|auto] [--deadline-ms EPOCH_MS]
 *          [--threads N] [--prompt 2000] [--decode 128] [--configs 4096,16384,32768+deep,32768:q8_0,65536:yarn4]
 *          [--deep 16384] [--gen-json F] [--extra-json F]
 * Writes DIR/gpu-results.json after every step (partial results survive a kill) and DIR/llama-log.txt
 * (every node-llama-cpp / llama.cpp log line); prints progress and a summary table to stdout.
 * Config syntax: CTX[:q8_0][:yarnF][+deep]; configs after the first three are skipped when time runs short.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import {
    getLlama, GgmlType, LlamaLogLevel,
    type Llama, type LlamaModel, type LlamaModelOptions, type Token,
} from "node-llama-cpp";
import {
    type ConfigSpec, type Json, decodeRun, diff, errText, MiB, nlcUsed, parseConfigs, promptOf, promptRun,
    readJsonFile, smiMemory, smiUsed, summaryTable, withTimeout,
} from "./support";

// ---------------------------------------------------------------------------------------------------------------
// arguments

const argv = process.argv.slice(2);
function arg(name: string, fallback?: string): string | undefined {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
}
function numArg(name: string, fallback: number): number {
    const v = Number(arg(name, String(fallback)));
    if (!Number.isFinite(v)) throw new Error(`--${name} must be a number`);
    return v;
}
const modelPath = arg("model");
const outDir = arg("out");
if (!modelPath || !outDir) {
    console.error("usage: measure.mjs --model M.gguf --out DIR [--gpu cuda|false|auto] [--deadline-ms N] ...");
    process.exit(2);
}
const gpuArg = arg("gpu", "cuda")!;
const gpuOption = gpuArg === "false" ? false : gpuArg === "auto" ? "auto" : (gpuArg as "cuda" | "vulkan");
const T0 = Date.now();
const deadline = numArg("deadline-ms", T0 + 400_000);
const threads = numArg("threads", os.availableParallelism());
const promptTokens = numArg("prompt", 2000);
const decodeTokens = numArg("decode", 128);
const deepTarget = numArg("deep", 16384);
const REQUIRED_CONFIGS = 3;

const configs = parseConfigs(arg("configs", "4096,16384,32768+deep,32768:q8_0,65536:yarn4")!);

// ---------------------------------------------------------------------------------------------------------------
// output: results JSON (rewritten after every step), llama log, stdout progress

fs.mkdirSync(outDir, { recursive: true });
const resultsPath = path.join(outDir, "gpu-results.json");
const llamaLog = fs.openSync(path.join(outDir, "llama-log.txt"), "a");
const elapsed = (): string => ((Date.now() - T0) / 1000).toFixed(1).padStart(6);
function say(msg: string): void {
    const line = `[measure ${new Date().toISOString().slice(11, 19)} +${elapsed()}s] ${msg}`;
    console.log(line);
    fs.writeSync(llamaLog, line + "\n");
}

const results: { [k: string]: Json | undefined } & { configs: Json[]; vram: Json[]; errors: string[] } = {
    schema: 1,
    status: "running",
    startedAt: new Date(T0).toISOString(),
    args: argv,
    host: { node: process.version, cpus: os.availableParallelism(), totalMemGiB: +(os.totalmem() / 2 ** 30).toFixed(1), threads },
    configs: [],
    vram: [],
    errors: [],
};
results.generator = readJsonFile(arg("gen-json"));
results.deviceScript = readJsonFile(arg("extra-json"));
function save(): void {
    results.savedAt = new Date().toISOString();
    const tmp = resultsPath + ".tmp";
    fs.writeFileSync(tmp, JSON.stringify(results, null, 2));
    fs.renameSync(tmp, resultsPath);
}

// llama.cpp lines worth keeping in the JSON, per phase (all lines go to llama-log.txt)
const INTERESTING = /buffer size|KV|kv_cache|n_ctx|n_batch|n_ubatch|flash_attn|offload|rope|yarn|freq_|causal|graph|CUDA|compute capability|VRAM|error|fail/i;
let captured: string[] = [];
function logger(level: LlamaLogLevel, message: string): void {
    const text = message.trimEnd();
    fs.writeSync(llamaLog, `+${elapsed()}s ${level}: ${text}\n`);
    if (INTERESTING.test(text) && captured.length < 200) captured.push(text);
    if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) console.log(`[llama ${level}] ${text}`);
}
function takeCaptured(): string[] { const c = captured; captured = []; return c; }
/** llama.cpp log lines reach JS asynchronously: give the ones of the step just done time to arrive. */
const settleLogs = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

function remainingMs(): number { return deadline - Date.now(); }

// ---------------------------------------------------------------------------------------------------------------
// GPU memory probes

let llama: Llama | undefined;
async function vramSnapshot(phase: string): Promise<{ [k: string]: Json }> {
    const smi = smiMemory();
    let nlc: Json = null;
    if (llama) {
        try {
            const s = await withTimeout(llama.getVramState(), 15_000, "getVramState");
            nlc = { totalMiB: MiB(s.total), usedMiB: MiB(s.used), freeMiB: MiB(s.free), unifiedMiB: MiB(s.unifiedSize) };
        } catch (e) { nlc = `error: ${errText(e)}`; }
    }
    const snap = { phase, atS: +((Date.now() - T0) / 1000).toFixed(1), nvidiaSmi: smi, nodeLlamaCpp: nlc };
    results.vram.push(snap);
    return snap;
}

// ---------------------------------------------------------------------------------------------------------------
// measurement pieces

function kvType(kv: "f16" | "q8_0"): GgmlType { return kv === "q8_0" ? GgmlType.Q8_0 : GgmlType.F16; }

async function estimates(model: LlamaModel, c: ConfigSpec) {
    const ins = model.fileInsights;
    const opts = {
        contextSize: c.contextSize, modelGpuLayers: model.gpuLayers, flashAttention: true,
        kvCacheKeyType: kvType(c.kv), kvCacheValueType: kvType(c.kv),
    };
    const out: { [k: string]: Json } = {};
    try {
        const v1 = ins.estimateContextResourceRequirements(opts);
        out.v1 = { gpuVramMiB: MiB(v1.gpuVram), cpuRamMiB: MiB(v1.cpuRam) };
    } catch (e) { out.v1 = `error: ${errText(e)}`; }
    try {
        const v2 = await withTimeout(ins.estimateContextResourceRequirementsV2(opts), Math.min(60_000, remainingMs()), "estimate V2");
        out.v2 = { gpuVramMiB: MiB(v2.gpuVram), cpuRamMiB: MiB(v2.cpuRam) };
    } catch (e) { out.v2 = `error: ${errText(e)}`; }
    return out;
}

async function loadModel(l: Llama, label: string, overrides?: LlamaModelOptions["metadataOverrides"]): Promise<LlamaModel> {
    let lastPct = -10;
    const t0 = performance.now();
    const model = await withTimeout(l.loadModel({
        modelPath: modelPath!,
        gpuLayers: gpuOption === false ? 0 : "max",
        defaultContextFlashAttention: true,
        ...(overrides ? { metadataOverrides: overrides } : {}),
        onLoadProgress(p) {
            const pct = Math.floor(p * 100);
            if (pct >= lastPct + 25) { lastPct = pct; say(`${label}: ${pct}%`); }
        },
    }), Math.max(10_000, remainingMs() - 5_000), `${label} load`);
    const ms = performance.now() - t0;
    await settleLogs();
    say(`${label}: loaded in ${(ms / 1000).toFixed(1)} s, ${model.gpuLayers} layers on the GPU, mmap ${model.useMmap}`);
    loadMs.set(model, Math.round(ms));
    return model;
}
const loadMs = new WeakMap<LlamaModel, number>();

function modelFacts(model: LlamaModel): { [k: string]: Json } {
    const ins = model.fileInsights;
    return {
        loadMs: loadMs.get(model) ?? null,
        gpuLayers: model.gpuLayers,
        totalLayers: ins.totalLayers,
        useMmap: model.useMmap,
        sizeMiB: MiB(model.size),
        flashAttentionSupported: model.flashAttentionSupported,
        trainContextSize: model.trainContextSize,
        totalParameters: ins.totalParameters,
        llamaLog: takeCaptured(),
    };
}

// ---------------------------------------------------------------------------------------------------------------
// one context configuration

async function runConfig(model: LlamaModel, c: ConfigSpec, rec: { [k: string]: Json }): Promise<void> {
    takeCaptured();
    rec.estimate = await estimates(model, c);
    const before = await vramSnapshot(`${c.id}: before context`);
    const t0 = performance.now();
    const ctx = await withTimeout(model.createContext({
        contextSize: c.contextSize,
        flashAttention: true,
        threads,
        failedCreationRemedy: false,
        ...(c.kv === "q8_0" ? { experimentalKvCacheKeyType: "Q8_0", experimentalKvCacheValueType: "Q8_0" } : {}),
    }), Math.max(5_000, remainingMs() - 5_000), `${c.id} createContext`);
    try {
        rec.createMs = Math.round(performance.now() - t0);
        rec.actualContextSize = ctx.contextSize;
        rec.batchSize = ctx.batchSize;
        rec.flashAttention = ctx.flashAttention;
        rec.kvCacheKeyType = GgmlType[ctx.kvCacheKeyType] ?? ctx.kvCacheKeyType;
        rec.kvCacheValueType = GgmlType[ctx.kvCacheValueType] ?? ctx.kvCacheValueType;
        rec.stateSizeMiB = MiB(ctx.stateSize);
        await settleLogs();
        const after = await vramSnapshot(`${c.id}: after context`);
        rec.vramContextMiB = { nvidiaSmi: diff(smiUsed(after), smiUsed(before)), nodeLlamaCpp: diff(nlcUsed(after), nlcUsed(before)) };
        rec.llamaLogContext = takeCaptured();
        save();
        say(`${c.id}: context ${ctx.contextSize} tokens (batch ${ctx.batchSize}) in ${rec.createMs} ms; ` +
            `VRAM +${JSON.stringify(rec.vramContextMiB)} MiB, estimate ${JSON.stringify(rec.estimate)}`);

        const seq = ctx.getSequence();
        // warm-up: the first evaluations pay for kernel loading / graph building
        const w0 = performance.now();
        await seq.evaluateWithoutGeneratingNewTokens(promptOf(64, 7));
        await decodeRun(model, ctx, seq, 42 as Token, 4);
        await seq.clearHistory();
        rec.warmupMs = Math.round(performance.now() - w0);

        const nPrompt = Math.min(promptTokens, ctx.contextSize - decodeTokens - 8);
        const prompt = promptOf(nPrompt, c.contextSize);
        rec.prompt = await withTimeout(promptRun(seq, prompt.slice(0, -1)), Math.max(5_000, remainingMs() - 5_000), `${c.id} prompt`);
        say(`${c.id}: prompt ${JSON.stringify(rec.prompt)}`);
        rec.decode = await withTimeout(decodeRun(model, ctx, seq, prompt[prompt.length - 1]!, decodeTokens), Math.max(5_000, remainingMs() - 5_000), `${c.id} decode`);
        say(`${c.id}: decode ${JSON.stringify(rec.decode)}`);
        const peak = await vramSnapshot(`${c.id}: after decode`);
        rec.vramAfterDecodeMiB = { nvidiaSmi: smiUsed(peak), nodeLlamaCpp: nlcUsed(peak) };
        save();

        if (c.deep && remainingMs() > 60_000) {
            // fill toward deepTarget in chunks: prompt speed at depth, then decode at depth
            const target = Math.min(deepTarget, ctx.contextSize - 64);
            const chunks: Json[] = [];
            let seed = 1000;
            while (seq.nextTokenIndex + 512 < target && remainingMs() > 45_000) {
                const n = Math.min(4096, target - seq.nextTokenIndex);
                const r = await withTimeout(promptRun(seq, promptOf(n, seed++)), remainingMs() - 30_000, `${c.id} deep prompt`);
                chunks.push(r);
                say(`${c.id}: deep prompt ${JSON.stringify(r)}`);
                save();
            }
            const d = remainingMs() > 30_000
                ? await withTimeout(decodeRun(model, ctx, seq, 42 as Token, 32), remainingMs() - 15_000, `${c.id} deep decode`)
                : null;
            rec.deep = { promptChunks: chunks, decode: d };
            if (d) say(`${c.id}: deep decode ${JSON.stringify(d)}`);
            const deepSnap = await vramSnapshot(`${c.id}: after deep`);
            rec.vramAfterDeepMiB = { nvidiaSmi: smiUsed(deepSnap), nodeLlamaCpp: nlcUsed(deepSnap) };
        }
    } finally {
        const d0 = performance.now();
        await withTimeout(ctx.dispose(), 30_000, `${c.id} dispose`).catch((e: unknown) => { results.errors.push(errText(e)); });
        rec.disposeMs = Math.round(performance.now() - d0);
        const gone = await vramSnapshot(`${c.id}: after dispose`);
        rec.vramAfterDisposeMiB = { nvidiaSmi: smiUsed(gone), nodeLlamaCpp: nlcUsed(gone) };
    }
}

// ---------------------------------------------------------------------------------------------------------------
// summary

function finish(status: string, code: number): never {
    results.status = status;
    results.finishedAt = new Date().toISOString();
    results.totalS = +((Date.now() - T0) / 1000).toFixed(1);
    save();
    const m = results.model as { loadMs?: number; gpuLayers?: number; totalLayers?: number } | undefined;
    const dev = results.nodeLlamaCpp as { gpuDeviceNames?: string[]; version?: string } | undefined;
    console.log(`\n=== GLM-4 GPU bench: ${status} in ${results.totalS} s; device ${JSON.stringify(dev?.gpuDeviceNames ?? null)}, ` +
        `node-llama-cpp ${dev?.version ?? "?"}; model load ${m?.loadMs ?? "?"} ms, ${m?.gpuLayers ?? "?"}/${m?.totalLayers ?? "?"} layers on GPU`);
    const est = results.modelEstimate as Json;
    const vm = results.vramModelMiB as Json;
    console.log(`model VRAM (smi/nlc MiB): ${JSON.stringify(vm ?? null)}; estimate: ${JSON.stringify(est ?? null)}`);
    console.log(summaryTable(results.configs));
    if (results.errors.length) console.log(`errors:\n  ${results.errors.join("\n  ")}`);
    console.log(`results: ${resultsPath}`);
    fs.closeSync(llamaLog);
    process.exit(code);
}

// ---------------------------------------------------------------------------------------------------------------
// main

process.on("unhandledRejection", (e) => { results.errors.push(`unhandledRejection: ${errText(e)}`); });
const watchdog = setTimeout(() => {
    results.errors.push(`watchdog: deadline reached at +${elapsed()} s`);
    finish("partial (deadline)", 124);
}, Math.max(1_000, deadline - Date.now() + 3_000));

async function main(): Promise<void> {
    say(`model ${modelPath}, gpu ${String(gpuOption)}, threads ${threads}, deadline in ${Math.round(remainingMs() / 1000)} s, ` +
        `configs ${configs.map((c) => c.id).join(" ")}`);
    const here = path.dirname(fileURLToPath(import.meta.url));
    const nlcPkg = readJsonFile(path.join(here, "node_modules", "node-llama-cpp", "package.json")) as { version?: string } | undefined;

    const g0 = performance.now();
    llama = await withTimeout(getLlama({
        gpu: gpuOption, build: "never", logLevel: LlamaLogLevel.info, logger, progressLogs: true, maxThreads: threads,
    }), 120_000, "getLlama");
    results.nodeLlamaCpp = {
        version: nlcPkg?.version ?? null,
        getLlamaMs: Math.round(performance.now() - g0),
        gpu: llama.gpu,
        buildType: llama.buildType,
        llamaCppRelease: llama.llamaCppRelease as unknown as Json,
        gpuDeviceNames: await llama.getGpuDeviceNames().catch(() => []),
        supportsGpuOffloading: llama.supportsGpuOffloading,
        gpuSupportsMmap: llama.gpuSupportsMmap,
        cpuMathCores: llama.cpuMathCores,
        vramPaddingMiB: MiB(llama.vramPaddingSize),
        systemInfo: llama.systemInfo,
        llamaLog: takeCaptured(),
    };
    say(`getLlama: gpu ${String(llama.gpu)}, devices ${JSON.stringify((results.nodeLlamaCpp as { gpuDeviceNames: Json }).gpuDeviceNames)}`);
    if (gpuOption !== false && llama.gpu === false) throw new Error(`asked for gpu ${String(gpuOption)} but node-llama-cpp loaded no GPU backend`);
    const base = await vramSnapshot("before model load");
    save();

    let model = await loadModel(llama, "model");
    const ins = model.fileInsights;
    results.model = { path: modelPath!, fileBytes: fs.statSync(modelPath!).size, ...modelFacts(model) };
    const me: { [k: string]: Json } = {};
    try {
        const v1 = ins.estimateModelResourceRequirements({ gpuLayers: model.gpuLayers });
        me.v1 = { gpuVramMiB: MiB(v1.gpuVram), cpuRamMiB: MiB(v1.cpuRam) };
    } catch (e) { me.v1 = `error: ${errText(e)}`; }
    try {
        const v2 = await withTimeout(ins.estimateModelResourceRequirementsV2({ gpuLayers: model.gpuLayers }), 60_000, "model estimate V2");
        me.v2 = { gpuVramMiB: MiB(v2.gpuVram), cpuRamMiB: MiB(v2.cpuRam) };
    } catch (e) { me.v2 = `error: ${errText(e)}`; }
    results.modelEstimate = me;
    const loaded = await vramSnapshot("after model load");
    results.vramModelMiB = { nvidiaSmi: diff(smiUsed(loaded), smiUsed(base)), nodeLlamaCpp: diff(nlcUsed(loaded), nlcUsed(base)) };
    say(`model VRAM ${JSON.stringify(results.vramModelMiB)} MiB, estimate ${JSON.stringify(me)}`);
    save();

    let yarnModelOf: number | null = null;
    for (const [i, c] of configs.entries()) {
        const rec: { [k: string]: Json } = { id: c.id, contextSize: c.contextSize, kv: c.kv, yarn: c.yarn };
        results.configs.push(rec);
        if (i >= REQUIRED_CONFIGS && remainingMs() < c.costS * 1000 + 10_000) {
            rec.skipped = `time (${Math.round(remainingMs() / 1000)} s left, needs ~${Math.round(c.costS)} s)`;
            say(`${c.id}: skipped, ${rec.skipped}`);
            save();
            continue;
        }
        if (remainingMs() < 15_000) { rec.skipped = "deadline"; save(); continue; }
        try {
            if (c.yarn !== null && yarnModelOf !== c.yarn) {
                // YaRN is a model-load option (metadata overrides): reload the same file with it
                const orig = model.trainContextSize;
                await withTimeout(model.dispose(), 60_000, "model dispose");
                await vramSnapshot(`${c.id}: after model dispose`);
                const overrides = {
                    glm4: {
                        context_length: Math.round(orig * c.yarn),
                        // 4.000001: a non-integer number is passed to llama.cpp as a float (an integer as an int)
                        rope: { scaling: { type: "yarn", factor: Number.isInteger(c.yarn) ? c.yarn + 0.000001 : c.yarn, original_context_length: orig } },
                    },
                } as unknown as LlamaModelOptions["metadataOverrides"];
                rec.metadataOverrides = overrides as unknown as Json;
                takeCaptured();
                model = await loadModel(llama, `model (YaRN x${c.yarn})`, overrides);
                yarnModelOf = c.yarn;
                rec.yarnModel = modelFacts(model);
            }
            await runConfig(model, c, rec);
        } catch (e) {
            rec.error = errText(e);
            results.errors.push(`${c.id}: ${errText(e)}`);
            say(`${c.id}: ERROR ${errText(e)}`);
        }
        save();
    }
    await withTimeout(model.dispose(), 30_000, "final model dispose").catch((e: unknown) => { results.errors.push(errText(e)); });
    await vramSnapshot("after model dispose");
    clearTimeout(watchdog);
    const recs = results.configs as { [k: string]: Json }[];
    const failed = recs.filter((r) => r.error).length;
    const skipped = recs.filter((r) => r.skipped).length;
    const status = failed || skipped
        ? `partial: ${recs.length - failed - skipped}/${recs.length} configs measured, ${failed} failed, ${skipped} skipped`
        : "complete";
    finish(status, failed ? 1 : 0);
}

main().catch((e: unknown) => {
    results.errors.push(`fatal: ${errText(e)}`);
    say(`FATAL ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    finish("failed", 3);
});
