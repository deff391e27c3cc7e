import { test } from "node:test";
import assert from "node:assert/strict";
import { metricsText, renderStatus, type StatusInput } from "../../src/statusView";
import type { CompletionMetrics } from "../../server/protocol/completion";

const running = { kind: "running" } as const;
const base: StatusInput = { server: running, model: undefined, metrics: undefined, completionEnabled: true };
const metrics: CompletionMetrics = {
    latencyMs: 123.4, tokensPerSecond: 35.2, generatedTokens: 20, reusedPromptTokens: 900, evaluatedPromptTokens: 12, cached: false,
};

test("status: starting, and running before the first status, show a spinner", () => {
    for (const input of [{ ...base, server: { kind: "starting" } as const }, base]) {
        const v = renderStatus(input);
        assert.match(v.text, /^\$\(loading~spin\) GLM-4$/);
        assert.equal(v.severity, "normal");
    }
});

test("status: server down is an error naming the reason", () => {
    const v = renderStatus({ ...base, server: { kind: "down", reason: "Error: boom" } });
    assert.equal(v.severity, "error");
    assert.match(v.tooltip, /^GLM-4 server is not running: Error: boom\./);
    assert.match(v.tooltip, /show the logs/);
});

test("status: loading shows a spinner and percent; downloading a download icon and percent", () => {
    assert.equal(renderStatus({ ...base, model: { state: "loading", progress: 0.424 } }).text, "$(loading~spin) GLM-4 42%");
    assert.equal(renderStatus({ ...base, model: { state: "loading" } }).text, "$(loading~spin) GLM-4");
    assert.equal(renderStatus({ ...base, model: { state: "downloading", progress: 1.2 } }).text, "$(cloud-download) GLM-4 100%");
});

test("status: ready shows the model name, last latency and speed", () => {
    const v = renderStatus({ ...base, model: { state: "ready", modelName: "GLM-4-32B-0414", device: "CUDA, 61/61 layers", contextSize: 32768 }, metrics });
    assert.equal(v.text, "$(sparkle) GLM-4-32B-0414 · 123 ms · 35 tok/s");
    assert.match(v.tooltip, /CUDA, 61\/61 layers/);
    assert.match(v.tooltip, /Context: 32768 tokens/);
    assert.match(v.tooltip, /900 tokens reused, 12 evaluated/);
    assert.match(v.tooltip, /Inline completion: on/);
});

test("status: ready with completion off shows it in icon and tooltip", () => {
    const v = renderStatus({ ...base, model: { state: "ready", modelName: "m" }, completionEnabled: false });
    assert.equal(v.text, "$(circle-slash) m");
    assert.match(v.tooltip, /Inline completion: off/);
});

test("status: a model error is a warning with the error in the tooltip", () => {
    const v = renderStatus({ ...base, model: { state: "error", error: "file not found: /x.gguf" } });
    assert.equal(v.severity, "warning");
    assert.equal(v.text, "$(warning) GLM-4");
    assert.match(v.tooltip, /file not found: \/x\.gguf/);
});

test("status: idle and unloaded", () => {
    assert.match(renderStatus({ ...base, model: { state: "idle" } }).tooltip, /no model loaded yet/);
    assert.match(renderStatus({ ...base, model: { state: "unloaded" } }).tooltip, /loads again on first use/);
});

test("metrics text: cached suggestions and slow speeds", () => {
    assert.equal(metricsText(undefined), "");
    assert.equal(metricsText({ ...metrics, cached: true, tokensPerSecond: 0, latencyMs: 4 }), " · 4 ms (cached)");
    assert.equal(metricsText({ ...metrics, tokensPerSecond: 3.46 }), " · 123 ms · 3.5 tok/s");
    assert.equal(metricsText({ ...metrics, tokensPerSecond: 0 }), " · 123 ms");
});

test("status: long model names are shortened", () => {
    const v = renderStatus({ ...base, model: { state: "ready", modelName: "x".repeat(60) } });
    assert.ok(v.text.length < 45, v.text);
});
