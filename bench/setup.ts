/**
 * One benchmark server: the real composition root (`startServer`) over the in-memory LSP harness, the tiny
 * GLM-4 fixture on CPU, the real inline completion feature (timed server-side, see serverTiming.ts) and the
 * real chat feature. Output is forced with GBNF grammars through the real engine, so every run generates the
 * same number of tokens (random weights would otherwise stop at a random end-of-generation token):
 * - typing documents: a fixed one-line suggestion (TYPING_SUGGESTION);
 * - the A/B document: an endless [a-z] grammar, so generation always runs to maxTokens;
 * - chat: a fixed Markdown reply (CHAT_REPLY).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LspHarness } from "../test/support/lspHarness";
import { fixtureModelPath } from "../test/support/models";
import { InlineCompletionFeature } from "../server/completion/feature";
import type { CompletionInput, CompletionTrace } from "../server/completion/engine";
import { ChatFeature } from "../server/chat/feature";
import type { GrammarSpec } from "../server/model/languageModel";
import { TimedInlineCompletion } from "./serverTiming";

/**
 * What the model is forced to suggest while typing: a short line (15 tokens with the fixture's byte-level
 * tokenizer, like a 4-5 token line of GLM-4's). TYPED_FUNCTION has no "q", so typing never runs into it and every
 * keystroke of the typing session goes to the model (typed-through hits are measured on their own).
 */
export const TYPING_SUGGESTION = "queue.shift();";
/** Never ends: generation runs to maxTokens (no end-of-generation token is allowed by the grammar). */
export const ENDLESS_GBNF = "root ::= [a-z] root";
/** The A/B document's file name (the grammar function picks ENDLESS_GBNF for it). */
export const AB_FILE = "src/ab.ts";

export const CHAT_REPLY =
    "\nUse a `Map` keyed by id, so each lookup is O(1):\n\n```ts\nconst byId = new Map(items.map((i) => [i.id, i]));\n```\n\nThen read `byId.get(id)`.";

export const SAMPLING = { temperature: 0.1, topK: 40, topP: 0.95, seed: 42 } as const;
export const COMPLETION_MAX_TOKENS = 128;
/**
 * The fixture's native context. Above it the model host loads with YaRN RoPE scaling (different logits), and the
 * A/B's direct side would then have to copy the host's metadata overrides to stay like with like.
 */
export const CONTEXT_SIZE = 4096;

const gbnfString = (s: string): string => JSON.stringify(s);

export interface BenchServer {
    h: LspHarness;
    timed: TimedInlineCompletion;
    completion: InlineCompletionFeature;
    chat: ChatFeature;
    /**
     * Every completion engine trace event, with the time it was seen (performance.now()). Prompts are kept only
     * for the A/B document (the heap stays small, so garbage collection does not tax later measurements).
     */
    traces: { at: number; trace: CompletionTrace }[];
    /** Forgets the completion session's KV cache (next request evaluates its whole prompt). */
    resetCompletionKv(): Promise<void>;
    dispose(): Promise<void>;
}

export async function startBenchServer(threads: number): Promise<BenchServer> {
    const grammar = (input: CompletionInput): GrammarSpec => input.uri.endsWith(AB_FILE)
        ? { kind: "gbnf", text: ENDLESS_GBNF }
        : { kind: "gbnf", text: `root ::= ${gbnfString(TYPING_SUGGESTION)}` };
    const completion = new InlineCompletionFeature({ grammar, ...SAMPLING });
    const timed = new TimedInlineCompletion(completion);
    const chat = new ChatFeature({
        sampling: { grammar: { kind: "gbnf", text: `root ::= ${gbnfString(CHAT_REPLY)}` }, seed: SAMPLING.seed },
    });
    const workspaceStoragePath = fs.mkdtempSync(path.join(os.tmpdir(), "glm4-bench-ws-"));
    const h = await LspHarness.start({
        settings: {
            model: fixtureModelPath("tiny"), threads, gpuLayers: 0, contextSize: CONTEXT_SIZE,
            // A generous deadline: a slow shared machine must not cut generations short (that would change the work).
            completion: { maxTokens: COMPLETION_MAX_TOKENS, timeoutMs: 120_000 },
            chat: { maxTokens: 256 },
        },
        initializationOptions: { workspaceStoragePath },
        server: { features: () => [timed, chat] },
    });
    const traces: BenchServer["traces"] = [];
    completion.engine.onTrace((trace) => {
        const kept: CompletionTrace = trace.type === "generation-start" && !trace.uri.endsWith(AB_FILE) ? { ...trace, prompt: [] } : trace;
        traces.push({ at: performance.now(), trace: kept });
    });
    const status = await h.waitForModel(["ready", "error"], 120_000);
    if (status.state !== "ready") throw new Error(`model did not load: ${status.error}`);
    return {
        h, timed, completion, chat, traces,
        async resetCompletionKv() {
            const model = await h.server.context.models.acquire("completion");
            const session = model.openSession("completion");
            try {
                await session.reset();
            } finally {
                session.dispose();
            }
        },
        async dispose() {
            await h.dispose();
            fs.rmSync(workspaceStoragePath, { recursive: true, force: true });
        },
    };
}
