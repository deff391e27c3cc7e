/**
 * Our LSP round trip vs node-llama-cpp called directly, like with like:
 * - the same prompt tokens: the server's prompt (from the engine's generation-start trace) tokenized part by
 *   part exactly as the engine does (special parts with special tokens), checked against the server's count;
 * - a fresh KV sequence on both sides: the server's completion KV is reset and its typed-through cache cleared
 *   before each run (so it evaluates the whole prompt), the direct sequence's history is cleared;
 * - the same generated count: an endless [a-z] grammar on both sides (no end-of-generation token is allowed),
 *   so both stop at exactly COMPLETION_MAX_TOKENS; same sampling (temperature, topK, topP, seed);
 * - the same engine settings: same GGUF, CPU, threads, context size, flash attention, one sequence.
 * Runs are interleaved (A B, B A, ...) after one warm-up of each; medians are compared. Besides wall time, each
 * run's process CPU time (user + system, all threads; llama.cpp runs on 1 thread here, so no spinning) is
 * recorded: unlike wall time it does not grow when other processes take the cores, so it shows our overhead on a
 * shared machine. Only one side runs at a time, and the harness's client side costs little CPU. A full garbage
 * collection runs before each run (outside the timing), so neither side pays for the other's (or an earlier
 * scenario's) garbage.
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";
import type { Token } from "node-llama-cpp";
import { getSharedLlama, loadNodeLlamaCpp } from "../server/model/llama/engine";
import type { GenerateResult, Prompt } from "../server/model/languageModel";
import { fixtureModelPath } from "../test/support/models";
import { positionOf } from "../test/support/lspHarness";
import { AB_FILE, COMPLETION_MAX_TOKENS, CONTEXT_SIZE, ENDLESS_GBNF, SAMPLING, type BenchServer } from "./setup";
import { AB_DOC, AB_MARKER } from "./texts";

export interface AbResult {
    promptTokens: number;
    generatedTokens: number;
    /** Client-measured LSP round trip (request sent -> response received), ms, per run. */
    lspRoundTripMs: number[];
    /** Server-side handler time of the same requests. */
    serverMs: number[];
    /** Engine generation time (LanguageModel.generate: prompt evaluation + decode). */
    engineMs: number[];
    /** node-llama-cpp directly: clear history, evaluate the prompt, take N tokens. */
    directMs: number[];
    /** Process CPU time (user + system) of the same runs, ms. */
    lspCpuMs: number[];
    directCpuMs: number[];
    /** Both sides produced the same raw text on the first run (same tokens, same sampling). */
    sameText: boolean;
}

/** V8's `gc()` without the --expose-gc command line flag (the bench runs under plain `tsx`). */
function fullGc(): () => void {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as () => void;
}

export async function abCompare(s: BenchServer, threads: number, pairs: number): Promise<AbResult> {
    const { h, timed, completion } = s;
    const gc = fullGc();
    const doc = h.open(AB_FILE, AB_DOC);
    const at = positionOf(doc, AB_MARKER, { after: true });

    const cpuMs = (since: NodeJS.CpuUsage): number => {
        const d = process.cpuUsage(since);
        return (d.user + d.system) / 1000;
    };
    const viaServer = async (): Promise<{ roundTrip: number; cpu: number; server: number; engine: number; prompt: Prompt; result: GenerateResult }> => {
        completion.engine.cache.clear();
        await s.resetCompletionKv();
        gc();
        const from = s.traces.length;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await h.inlineCompletion(doc, at);
        const roundTrip = performance.now() - t0;
        const cpu = cpuMs(c0);
        const traces = s.traces.slice(from).map((t) => t.trace);
        const start = traces.find((t) => t.type === "generation-start");
        const end = traces.find((t) => t.type === "generation-end");
        const span = timed.spanAt(doc.uri, at.line, at.character);
        if (start?.type !== "generation-start" || end?.type !== "generation-end" || !span) throw new Error("A/B: the server did not generate");
        const st = end.result.stats;
        if (st.reusedPromptTokens !== 0) throw new Error(`A/B: the server reused ${st.reusedPromptTokens} prompt tokens after a reset`);
        if (st.generatedTokens !== COMPLETION_MAX_TOKENS) {
            throw new Error(`A/B: the server generated ${st.generatedTokens} tokens (${end.result.stopReason}), not ${COMPLETION_MAX_TOKENS}`);
        }
        return { roundTrip, cpu, server: span.ms, engine: st.totalMs, prompt: start.prompt, result: end.result };
    };

    const first = await viaServer(); // warm-up (also gives the prompt)
    const nlc = await loadNodeLlamaCpp();
    const llama = await getSharedLlama("auto"); // the same Llama (binding, backend) the server uses
    const model = await llama.loadModel({ modelPath: fixtureModelPath("tiny"), gpuLayers: 0 });
    try {
        const context = await model.createContext({ contextSize: CONTEXT_SIZE, sequences: 1, threads, flashAttention: true });
        const sequence = context.getSequence();
        const grammar = await llama.createGrammar({ grammar: ENDLESS_GBNF });
        const tokens: Token[] = [];
        for (const part of first.prompt) if (part.text) tokens.push(...model.tokenize(part.text, part.special === true));
        if (tokens.length !== first.result.stats.promptTokens) {
            throw new Error(`A/B: direct prompt has ${tokens.length} tokens, the server's ${first.result.stats.promptTokens}`);
        }
        const direct = async (): Promise<{ ms: number; cpu: number; text: string }> => {
            await sequence.clearHistory();
            gc();
            const c0 = process.cpuUsage();
            const t0 = performance.now();
            const out: Token[] = [];
            const iterator = sequence.evaluate(tokens, {
                ...SAMPLING, grammarEvaluationState: new nlc.LlamaGrammarEvaluationState({ model, grammar }), yieldEogToken: true,
            });
            for await (const token of iterator) {
                out.push(token);
                if (out.length >= COMPLETION_MAX_TOKENS) break;
            }
            const ms = performance.now() - t0;
            const cpu = cpuMs(c0);
            if (out.length !== COMPLETION_MAX_TOKENS) throw new Error(`A/B: direct generated ${out.length} tokens`);
            return { ms, cpu, text: model.detokenize(out) };
        };

        const warm = await direct();
        const result: AbResult = {
            promptTokens: tokens.length, generatedTokens: COMPLETION_MAX_TOKENS,
            lspRoundTripMs: [], serverMs: [], engineMs: [], directMs: [], lspCpuMs: [], directCpuMs: [], sameText: warm.text === first.result.text,
        };
        for (let i = 0; i < pairs; i++) {
            const runServer = async (): Promise<void> => {
                const r = await viaServer();
                result.lspRoundTripMs.push(r.roundTrip);
                result.serverMs.push(r.server);
                result.engineMs.push(r.engine);
                result.lspCpuMs.push(r.cpu);
            };
            const runDirect = async (): Promise<void> => {
                const d = await direct();
                result.directMs.push(d.ms);
                result.directCpuMs.push(d.cpu);
            };
            if (i % 2 === 0) { await runServer(); await runDirect(); } else { await runDirect(); await runServer(); }
        }
        await context.dispose();
        return result;
    } finally {
        await model.dispose();
        h.close(doc);
    }
}
