/** The planner webview's HTML (CSP) and the shape checks on its messages (pure). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { plannerHtml } from "../../src/planner/html";
import { checkFromWebview } from "../../media/planner/protocol";

test("the panel HTML: CSP from default-src 'none', nonce on script and stylesheet, nothing remote, no inline code", () => {
    const html = plannerHtml({ cspSource: "vscode-webview://abc", nonce: "N0nce", scriptUri: "vscode-webview://abc/planner.js", styleUri: "vscode-webview://abc/planner.css" });
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, /script-src 'nonce-N0nce'/);
    assert.match(csp, /style-src vscode-webview:\/\/abc 'nonce-N0nce'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.match(html, /<script nonce="N0nce" src="vscode-webview:\/\/abc\/planner.js"><\/script>/);
    assert.match(html, /<link rel="stylesheet" nonce="N0nce" href="vscode-webview:\/\/abc\/planner.css">/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.doesNotMatch(html, /style="/);
});

test("messages from the webview are shape-checked; anything else is dropped", () => {
    assert.deepEqual(checkFromWebview({ type: "ready" }), { type: "ready" });
    assert.deepEqual(checkFromWebview({ type: "refresh", kvCacheType: "q8_0" }), { type: "refresh", kvCacheType: "q8_0" });
    assert.deepEqual(checkFromWebview({ type: "use", uri: "hf:bartowski/THUDM_GLM-4-9B-0414-GGUF:Q4_K_M", contextSize: 32768 }),
        { type: "use", uri: "hf:bartowski/THUDM_GLM-4-9B-0414-GGUF:Q4_K_M", contextSize: 32768 });
    for (const bad of [null, "ready", { type: "refresh", kvCacheType: "q4" }, { type: "use", uri: "file:///etc/passwd", contextSize: 4096 },
        { type: "use", uri: "hf:a/b:Q4_K_M", contextSize: 4096.5 }, { type: "use", uri: "hf:a/b:Q4_K_M", contextSize: 1e9 }, { type: "exec" }]) {
        assert.equal(checkFromWebview(bad), undefined, JSON.stringify(bad));
    }
});
