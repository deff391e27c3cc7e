import { test } from "node:test";
import assert from "node:assert/strict";
import { isAllowedImageSrc, markdownToHtml } from "../../media/chat/markdown";
import { chatHtml } from "../../src/chat/html";

test("markdown: a remote image becomes a placeholder, never an <img>", () => {
    const html = markdownToHtml("look ![diagram](http://127.0.0.1:9/x.png) and ![t](https://example.com/t.gif)");
    assert.ok(!html.includes("<img"), html);
    assert.ok(!html.includes("127.0.0.1"), html);
    assert.match(html, /\[image: diagram\]/);
    assert.ok(markdownToHtml("![dot](data:image/png;base64,iVBORw0KGgo=)").includes('<img src="data:image/png;base64,iVBORw0KGgo="'));
    assert.equal(isAllowedImageSrc("data:image/svg+xml;base64,PHN2Zz4="), false);
    assert.equal(isAllowedImageSrc("javascript:alert(1)"), false);
});

test("markdown: fenced code gets a toolbar with Copy / Insert / Apply and highlighted, escaped code", () => {
    const html = markdownToHtml("Here:\n```ts\nconst a = \"<b>\";\n```\n");
    assert.match(html, /<div class="code-block" data-lang="ts">/);
    for (const action of ["copy", "insert", "apply"]) assert.ok(html.includes(`data-action="${action}"`), action);
    assert.match(html, /hljs-keyword">const</);
    assert.ok(html.includes("&lt;b&gt;"), "code is escaped");
});

test("markdown: an unclosed fence while streaming renders as a code block", () => {
    const html = markdownToHtml("Partial:\n```python\ndef f():\n    return 1");
    assert.match(html, /class="code-block" data-lang="python"/);
    assert.ok(html.includes("return"));
});

test("webview HTML: CSP from default-src 'none', nonce scripts and styles, images only from the extension or data:", () => {
    const html = chatHtml({ cspSource: "vscode-resource:test", nonce: "N0NCE", scriptUri: "vscode-resource:test/chat.js", styleUri: "vscode-resource:test/chat.css" });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? "";
    assert.ok(csp.startsWith("default-src 'none'"), csp);
    assert.match(csp, /img-src vscode-resource:test data:/);
    assert.match(csp, /script-src 'nonce-N0NCE'(;|$)/);
    assert.ok(!/unsafe-inline|unsafe-eval|https?:/.test(csp), csp);
    assert.match(html, /<script nonce="N0NCE" src="vscode-resource:test\/chat.js">/);
});
