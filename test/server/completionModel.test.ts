/**
 * Inline completion with a second completion model (glm4.completionModel = the `tiny-f16` fixture, the main
 * model `tiny`) over the real LSP server: the completion model serves the request, the main model does not.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { InlineCompletionItem, InlineCompletionList } from "vscode-languageserver-protocol";
import { fixtureModelPath, testThreads } from "../support/models";
import { LspHarness, positionOf } from "../support/lspHarness";
import { InlineCompletionFeature } from "../../server/completion/feature";

const ADD = "export function add(a: number, b: number): number {\n  \n}\n";

const items = (r: InlineCompletionList | InlineCompletionItem[] | null): InlineCompletionItem[] => (r === null ? [] : Array.isArray(r) ? r : r.items);

test("inline completion runs on glm4.completionModel when it is loaded", async () => {
    const feature = new InlineCompletionFeature({ grammar: { kind: "gbnf", text: 'root ::= "return a + b;"' } });
    const h = await LspHarness.start({
        settings: {
            model: fixtureModelPath("tiny"), completionModel: fixtureModelPath("tiny-f16"), threads: testThreads(), gpuLayers: 0, contextSize: 1024,
            completion: { timeoutMs: 600_000 },
        },
        server: { features: () => [feature] },
    });
    try {
        assert.equal((await h.waitForModel()).state, "ready");
        const models = h.server.context.models;
        const completionModel = await models.acquire("completion");
        const mainModel = await models.acquire("chat");
        assert.notEqual(completionModel, mainModel);
        assert.match(models.status.completionModel ?? "", /: ready, CPU/);

        const doc = h.open("src/add.ts", ADD);
        const at = positionOf(doc, "{\n  ", { after: true });
        assert.deepEqual(items(await h.inlineCompletion(doc, at)), [{ insertText: "return a + b;", range: { start: at, end: at } }]);
        assert.ok(completionModel.openSession("completion").cachedTokens > 0, "the completion model holds the prompt");
        assert.equal(mainModel.openSession("completion").cachedTokens, 0, "the main model was not used for completion");
    } finally {
        await h.dispose();
    }
});
