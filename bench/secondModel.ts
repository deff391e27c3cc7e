/**
 * Issue 4's GPU rows: GLM-4-9B-0414 beside GLM-4-32B-0414, as the product uses it, through the product's model
 * layer (`loadLlamaModel`, sessions, `attachDraft`), one process, one GPU:
 *
 * 1. as the second completion model (`glm4.completionModel`): a cold completion (whole prompt evaluated, then a
 *    line of code) and keystrokes (the prompt grows by a character, most of it reused from the KV cache), the
 *    32B and the 9B side by side, same prompts, same token counts;
 * 2. as the draft model for speculative decoding of the 32B chat (`glm4.draftModel`): greedy chat decode speed of
 *    the 32B alone, then with the 9B attached as its draft, in two regimes that bound what a real pair does:
 *    - "free": the random-weight pair disagrees on nearly every token (the floor: what drafting costs when its
 *      predictions are wrong, or when the draft is unsure and abstains); with BENCH_MAIN_MODEL /
 *      BENCH_SMALL_MODEL pointing at the real GLM-4 files this regime is the real number;
 *    - "agreeing": the generator's `agree` variants of both shapes (same compute, every prediction is the same
 *      token with probability ~1), so every draft is right: the ceiling, for several draft options, since
 *      node-llama-cpp 3.21.1 validates at most one drafted token per main-model step (its `validatedTokens` list
 *      is never filled), which makes long drafts pure cost.
 *    Acceptance is node-llama-cpp's count of validated / (validated + refuted) draft tokens.
 * 3. GPU memory (llama.cpp's VRAM state) after each model and context, so the cost of the two 9B roles shows.
 *
 * Random-weight models of the exact shapes (test/support/gguf) give the real memory and speed, not real text.
 * Run by `npm run bench` when a GPU backend is present, and by bench/gpu/second.ts on the lent GPU machine.
 */
import type { Llama } from "node-llama-cpp";
import { getSharedLlama, type GpuChoice } from "../server/model/llama/engine";
import { loadLlamaModel, type DraftOptions, type LlamaLanguageModel } from "../server/model/llamaModel";
import { special, text, type GenerateResult, type GrammarSpec, type Prompt } from "../server/model/languageModel";
import { DEFAULT_DRAFT_OPTIONS } from "../server/model/secondaryModels";
import { BATCH_DRAFT_MAX_TOKENS, BATCH_DRAFT_MIN_CONFIDENCE } from "../server/model/llama/draft";
import type { Row } from "./report";
import { median, round, summarize, type Summary } from "./stats";
import { ENDLESS_GBNF } from "./setup";
import { TYPING_HEAD, TYPING_TAIL } from "./texts";

export interface SecondModelOptions {
    /** GLM-4-32B-0414 (or its random-weight shape). */
    mainPath: string;
    /** GLM-4-9B-0414 (or its random-weight shape): the completion model and the draft. */
    smallPath: string;
    /** The `agree` variants of both shapes, for the ceiling (rows left out without them). */
    agree?: { mainPath: string; smallPath: string };
    gpu: GpuChoice;
    threads: number;
    /** Context of every session (both models, all kinds). */
    contextSize: number;
    /** Repetitions of each chat measurement and keystrokes per model. */
    reps: number;
    /** Names of `DRAFT_CONFIGS` to measure (default: all). */
    draftConfigs?: readonly string[];
    /** Completion prompt length in bytes of code (the tokenizer decides the tokens; reported). */
    completionPromptBytes: number;
    completionTokens: number;
    keystrokeTokens: number;
    chatTokens: number;
    log: (message: string) => void;
}

export const SECOND_MODEL_DEFAULTS = {
    contextSize: 8192, reps: 3, completionPromptBytes: 6000, completionTokens: 32, keystrokeTokens: 16, chatTokens: 256,
} as const;

interface CompletionSide {
    promptTokens: number;
    cold: { totalMs: number; timeToFirstTokenMs: number; generatedTokens: number; evaluatedPromptTokens: number };
    keystrokeMs: number[];
    keystrokeEvaluated: number[];
    decodeTokS: number;
    /** Prompt evaluation speed of the cold completion (its prompt tokens / time to first token). */
    promptTokS: number;
}

interface ChatRun { tokS: number; generated: number; validated: number; refuted: number; totalMs: number }

export interface SecondModelResult {
    rows: Row[];
    details: {
        options: Omit<SecondModelOptions, "log">;
        device: string;
        mainInfo: string;
        smallInfo: string;
        vramMiB: { phase: string; used: number; total: number }[];
        completion: { main: CompletionSide; small: CompletionSide };
        chat: { smallAlone: ChatRun[]; alone: ChatRun[]; drafted: ChatRun[]; nodeDrafted?: ChatRun[]; agreeAlone?: ChatRun[]; agreeDrafted?: Record<string, ChatRun[]>; agreeError?: string };
        keystrokeMs: { main: Summary; small: Summary };
    };
}

const GREEDY = { temperature: 0, seed: 1 } as const;
const MiB = 1024 * 1024;

/** The repeated code of the completion prompt, cut to `bytes`. */
function codeOf(bytes: number): string {
    let s = "";
    while (s.length < bytes) s += TYPING_HEAD + TYPING_TAIL;
    return s.slice(0, bytes);
}

const completionPrompt = (code: string): Prompt => [
    special("[gMASK]<sop><|system|>"), text("\nComplete the code at the end of the file. Output only code."),
    special("<|user|>"), text(`\n###PATH:src/tree.ts\n${code}`), special("<|assistant|>"), text("\n"),
];

const chatPrompt: Prompt = [
    special("[gMASK]<sop><|user|>"), text(`\nHow do I look items up by id quickly?\n\n\`\`\`ts\n${TYPING_HEAD}\`\`\``), special("<|assistant|>"), text("\n"),
];

const decodeTokS = (r: GenerateResult): number =>
    r.stats.generatedTokens > 1 ? ((r.stats.generatedTokens - 1) * 1000) / Math.max(1e-6, r.stats.totalMs - r.stats.timeToFirstTokenMs) : Number.NaN;

async function completionSide(model: LlamaLanguageModel, o: SecondModelOptions): Promise<CompletionSide> {
    const session = model.openSession("completion");
    try {
        const code = codeOf(o.completionPromptBytes);
        const grammar: GrammarSpec = { kind: "gbnf", text: ENDLESS_GBNF };
        // warm-up (first use of the context and the grammar), then a cold run on an empty KV cache
        await session.generate(completionPrompt(code.slice(0, 200)), { maxTokens: 4, grammar, ...GREEDY });
        await session.reset();
        const cold = await session.generate(completionPrompt(code), { maxTokens: o.completionTokens, grammar, ...GREEDY });
        const keystrokeMs: number[] = [], keystrokeEvaluated: number[] = [];
        const typed = "const byId = new Map<string, Node>();";
        for (let i = 1; i <= Math.max(o.reps * 3, 5); i++) {
            const r = await session.generate(completionPrompt(code + typed.slice(0, i)), { maxTokens: o.keystrokeTokens, grammar, ...GREEDY });
            keystrokeMs.push(r.stats.totalMs);
            keystrokeEvaluated.push(r.stats.evaluatedPromptTokens);
        }
        return {
            promptTokens: cold.stats.promptTokens,
            cold: {
                totalMs: cold.stats.totalMs, timeToFirstTokenMs: cold.stats.timeToFirstTokenMs, generatedTokens: cold.stats.generatedTokens,
                evaluatedPromptTokens: cold.stats.evaluatedPromptTokens,
            },
            keystrokeMs, keystrokeEvaluated, decodeTokS: decodeTokS(cold),
            promptTokS: (cold.stats.evaluatedPromptTokens * 1000) / cold.stats.timeToFirstTokenMs,
        };
    } finally {
        session.dispose();
    }
}

/** `reps` greedy chat replies of `chatTokens` tokens from an empty KV cache (after one warm-up reply). */
async function chatRuns(model: LlamaLanguageModel, o: SecondModelOptions): Promise<ChatRun[]> {
    const session = model.openSession("chat");
    const one = async (): Promise<ChatRun> => {
        await session.reset();
        const before = model.draftStats;
        const r = await session.generate(chatPrompt, { maxTokens: o.chatTokens, ...GREEDY });
        const after = model.draftStats;
        return {
            tokS: decodeTokS(r), generated: r.stats.generatedTokens, totalMs: r.stats.totalMs,
            validated: after.validated - before.validated, refuted: after.refuted - before.refuted,
        };
    };
    try {
        await one(); // warm-up: contexts and (with a draft) the predictor's sequence swap
        const runs: ChatRun[] = [];
        for (let i = 0; i < o.reps; i++) runs.push(await one());
        return runs;
    } finally {
        session.dispose();
    }
}

/** Draft options compared on the agreeing pair ("product" = what glm4.draftModel uses). */
export const DRAFT_CONFIGS: readonly { name: string; options: DraftOptions }[] = [
    { name: "product", options: DEFAULT_DRAFT_OPTIONS },
    { name: "batch-2", options: { verifier: "batch", maxTokens: 2 } },
    { name: "batch-8", options: { verifier: "batch", maxTokens: 8 } },
    { name: "node-llama-cpp", options: { verifier: "node-llama-cpp" } },
    { name: "node-llama-cpp-1", options: { verifier: "node-llama-cpp", minTokens: 1, maxTokens: 1 } },
];

function describeDraft(d: DraftOptions): string {
    if (d.verifier === "node-llama-cpp") {
        return `node-llama-cpp predictor, min ${d.minTokens ?? 0}, max ${d.maxTokens ?? 16}, confidence >= ${d.minConfidence ?? 0.6}`;
    }
    const c = d.minConfidence ?? BATCH_DRAFT_MIN_CONFIDENCE;
    return `batch verifier, max ${d.maxTokens ?? BATCH_DRAFT_MAX_TOKENS}${c > 0 ? `, confidence >= ${c}` : ""}`;
}

function vram(llama: Llama, phase: string, into: SecondModelResult["details"]["vramMiB"]): Promise<void> {
    return llama.getVramState().then((v) => {
        into.push({ phase, used: round(v.used / MiB, 0), total: round(v.total / MiB, 0) });
    });
}

const tokS = (runs: readonly ChatRun[]): number => median(runs.map((r) => r.tokS));
const drafted = (runs: readonly ChatRun[]): number => runs.reduce((s, r) => s + r.validated + r.refuted, 0);
function acceptance(runs: readonly ChatRun[]): string {
    const v = runs.reduce((s, r) => s + r.validated, 0), all = drafted(runs);
    return all > 0 ? `acceptance ${round((100 * v) / all, 1)}% of ${all} drafted tokens` : "nothing drafted";
}

export async function secondModelBench(o: SecondModelOptions): Promise<SecondModelResult> {
    const { log: _log, ...options } = o;
    const llama = await getSharedLlama(o.gpu);
    o.log(`backend: ${llama.gpu === false ? "CPU" : llama.gpu}${llama.gpu === false ? "" : ` (${(await llama.getGpuDeviceNames()).join(", ")})`}`);
    const vramMiB: SecondModelResult["details"]["vramMiB"] = [];
    const snap = (phase: string): Promise<void> => vram(llama, phase, vramMiB);
    const load = (modelPath: string): Promise<LlamaLanguageModel> =>
        loadLlamaModel({ modelPath, gpuLayers: "auto", contextSize: o.contextSize, threads: o.threads, gpu: o.gpu });
    const loaded: LlamaLanguageModel[] = [];
    const disposeAll = async (): Promise<void> => {
        for (const m of loaded.splice(0).reverse()) await m.dispose().catch(() => undefined);
    };
    await snap("start");
    try {
        o.log(`loading ${o.mainPath}`);
        const main = await load(o.mainPath);
        loaded.push(main);
        await snap("32B");
        o.log(`main: ${main.info.device}; loading the completion model ${o.smallPath}`);
        const small = await load(o.smallPath);
        loaded.push(small);
        await snap("32B + 9B completion model");
        const mainInfo = `${main.info.name}: ${main.info.device}`, smallInfo = `${small.info.name}: ${small.info.device}`;

        o.log("completion: 32B");
        const cMain = await completionSide(main, o);
        o.log("completion: 9B");
        const cSmall = await completionSide(small, o);
        o.log("chat: 9B alone");
        const smallAlone = await chatRuns(small, o);
        o.log("chat: 32B alone");
        const alone = await chatRuns(main, o);
        await snap("+ 32B chat context");
        o.log("loading the draft model (a second instance, as glm4.draftModel loads it)");
        main.attachDraft(await load(o.smallPath), DEFAULT_DRAFT_OPTIONS); // main owns it from here
        o.log("chat: 32B with the 9B draft");
        const withDraft = await chatRuns(main, o);
        const configs = DRAFT_CONFIGS.filter((c) => !o.draftConfigs || o.draftConfigs.includes(c.name));
        const nodeDefaults = configs.find((c) => c.options.verifier === "node-llama-cpp" && c.options.minTokens === undefined);
        let withNodeDraft: ChatRun[] | undefined;
        if (nodeDefaults) {
            main.setDraftOptions(nodeDefaults.options);
            o.log(`chat: 32B with the 9B draft, ${nodeDefaults.name}`);
            withNodeDraft = await chatRuns(main, o);
        }
        await snap("+ 9B draft model and its chat context");
        await disposeAll();

        let agreeAlone: ChatRun[] | undefined;
        const agreeDrafted: Record<string, ChatRun[]> = {};
        let agreeError: string | undefined;
        if (o.agree) {
            try {
                o.log(`agreeing pair: ${o.agree.mainPath} + ${o.agree.smallPath}`);
                const am = await load(o.agree.mainPath);
                loaded.push(am);
                agreeAlone = await chatRuns(am, o);
                am.attachDraft(await load(o.agree.smallPath), DEFAULT_DRAFT_OPTIONS);
                for (const c of configs) {
                    o.log(`chat: agreeing 32B with the 9B draft, ${c.name} (${describeDraft(c.options)})`);
                    am.setDraftOptions(c.options);
                    agreeDrafted[c.name] = await chatRuns(am, o);
                }
            } catch (e) {
                // keep the rows measured so far
                agreeError = String((e as Error)?.stack ?? e);
                o.log(`agreeing pair failed: ${agreeError}`);
            }
            await disposeAll();
        }

        const kMain = median(cMain.keystrokeMs), kSmall = median(cSmall.keystrokeMs);
        const S = "Issue 4 (GPU)";
        const n = `${o.reps} replies of ${o.chatTokens} tokens, median`;
        const used = (phase: string): number => (vramMiB.find((v) => v.phase === phase)?.used ?? Number.NaN) - vramMiB[0]!.used;
        const rows: Row[] = [
            { section: S, metric: "completion, cold: 32B", value: cMain.cold.totalMs, unit: "ms", note: `${cMain.promptTokens} prompt + ${cMain.cold.generatedTokens} tokens` },
            { section: S, metric: "completion, cold: 9B", value: cSmall.cold.totalMs, unit: "ms" },
            { section: S, metric: "completion, cold: 32B / 9B", value: cMain.cold.totalMs / cSmall.cold.totalMs, unit: "x" },
            { section: S, metric: "completion per keystroke p50: 32B", value: kMain, unit: "ms", note: `${cMain.keystrokeMs.length} keystrokes, ${median(cMain.keystrokeEvaluated)} prompt tokens evaluated p50, ${o.keystrokeTokens} generated` },
            { section: S, metric: "completion per keystroke p50: 9B", value: kSmall, unit: "ms" },
            { section: S, metric: "completion per keystroke: 32B / 9B", value: kMain / kSmall, unit: "x" },
            { section: S, metric: "prompt: 32B", value: cMain.promptTokS, unit: "tok/s", note: "the cold completion's prompt" },
            { section: S, metric: "prompt: 9B", value: cSmall.promptTokS, unit: "tok/s" },
            { section: S, metric: "decode with the completion grammar ([a-z]): 32B", value: cMain.decodeTokS, unit: "tok/s" },
            { section: S, metric: "decode with the completion grammar ([a-z]): 9B", value: cSmall.decodeTokS, unit: "tok/s" },
            { section: S, metric: "chat decode: 9B alone", value: tokS(smallAlone), unit: "tok/s", note: n },
            { section: S, metric: "chat decode: 32B alone", value: tokS(alone), unit: "tok/s", note: n },
            { section: S, metric: `speculative speed-up, free (random weights: the floor), product (${describeDraft(DEFAULT_DRAFT_OPTIONS)})`, value: tokS(withDraft) / tokS(alone), unit: "x", note: `${round(tokS(withDraft), 1)} tok/s, ${acceptance(withDraft)}` },
        ];
        if (nodeDefaults && withNodeDraft) {
            rows.push({ section: S, metric: `speculative speed-up, free, ${nodeDefaults.name} (${describeDraft(nodeDefaults.options)})`, value: tokS(withNodeDraft) / tokS(alone), unit: "x", note: `${round(tokS(withNodeDraft), 1)} tok/s, ${acceptance(withNodeDraft)}` });
        }
        if (agreeAlone) {
            rows.push({ section: S, metric: "chat decode: agreeing 32B alone", value: tokS(agreeAlone), unit: "tok/s", note: n });
            for (const c of configs) {
                const runs = agreeDrafted[c.name];
                if (!runs) continue;
                rows.push({ section: S, metric: `speculative speed-up, draft always right, ${c.name} (${describeDraft(c.options)})`, value: tokS(runs) / tokS(agreeAlone), unit: "x", note: `${round(tokS(runs), 1)} tok/s, ${acceptance(runs)}` });
            }
        }
        const total = vramMiB[0]!.total;
        rows.push(
            { section: S, metric: "GPU memory: 32B + 1 context", value: used("32B") / 1024, unit: "GiB", note: `${o.contextSize}-token contexts` },
            { section: S, metric: "GPU memory: + 9B completion model + 1 context", value: (used("32B + 9B completion model") - used("32B")) / 1024, unit: "GiB" },
            { section: S, metric: "GPU memory: 32B, 9B completion + draft, 4 contexts", value: used("+ 9B draft model and its chat context") / 1024, unit: "GiB", note: total > 0 ? `of ${round(total / 1024, 1)} GiB` : "no GPU" },
        );
        return {
            rows,
            details: {
                options, device: mainInfo, mainInfo, smallInfo, vramMiB, completion: { main: cMain, small: cSmall },
                chat: { smallAlone, alone, drafted: withDraft, ...(withNodeDraft ? { nodeDrafted: withNodeDraft } : {}), ...(agreeAlone ? { agreeAlone, agreeDrafted } : {}), ...(agreeError ? { agreeError } : {}) },
                keystrokeMs: { main: summarize(cMain.keystrokeMs), small: summarize(cSmall.keystrokeMs) },
            },
        };
    } finally {
        await disposeAll();
    }
}
