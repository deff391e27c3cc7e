import { test } from "node:test";
import assert from "node:assert/strict";
import { HostChannel } from "../../src/chat/webviewChannel";
import { WEBVIEW_VALIDATORS } from "../../src/chat/validate";
import { REQUEST_METHODS, type WireMessage } from "../../media/chat/protocol";

function setup() {
    const posted: WireMessage[] = [];
    const warnings: string[] = [];
    const channel = new HostChannel((m) => { posted.push(m); }, WEBVIEW_VALIDATORS, { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) });
    const calls: unknown[] = [];
    channel.handle("chat/cancel", (p) => { calls.push(p); return { cancelled: true }; });
    channel.handle("code/insert", () => { throw Object.assign(new Error("no editor"), {}); });
    return { channel, posted, warnings, calls };
}

test("webview channel: a well-formed request is handled and answered", async () => {
    const { channel, posted, calls } = setup();
    await channel.receive({ type: "request", id: 7, method: "chat/cancel", params: { chatId: "abc" } });
    assert.deepEqual(calls, [{ chatId: "abc" }]);
    assert.deepEqual(posted, [{ type: "response", id: 7, result: { cancelled: true } }]);
});

test("webview channel: messages of the wrong shape are ignored and logged, never handled or answered", async () => {
    const { channel, posted, warnings, calls } = setup();
    const bad: unknown[] = [
        null, "hello", 42,
        { type: "event", event: "chat/cancel" },
        { type: "request", id: "1", method: "chat/cancel", params: { chatId: "a" } },
        { type: "request", id: 1, method: "rm -rf", params: {} },
        { type: "request", id: 1, method: "__proto__", params: {} },
        { type: "request", id: 1, method: "chat/cancel", params: { chatId: 5 } },
        { type: "request", id: 1, method: "chat/cancel", params: { chatId: "a", extra: 1 } },
        { type: "request", id: 1, method: "chat/send", params: { chatId: "a", action: "send", input: { text: "x", attachments: [{ kind: "file" }] } } },
        { type: "request", id: 1, method: "code/apply", params: { code: 12 } },
    ];
    for (const m of bad) await channel.receive(m);
    assert.deepEqual(calls, []);
    assert.deepEqual(posted, []);
    assert.equal(warnings.length, bad.length);
    assert.ok(warnings.every((w) => w.includes("ignored a message of the wrong shape")));
    assert.match(warnings[7]!, /chatId should be a string/);
});

test("webview channel: a handler's error is answered as an error", async () => {
    const { channel, posted } = setup();
    await channel.receive({ type: "request", id: 3, method: "code/insert", params: { code: "x" } });
    assert.deepEqual(posted, [{ type: "response", id: 3, error: { message: "no editor" } }]);
});

test("webview channel: every request method has a validator, and events go out as events", () => {
    assert.deepEqual(Object.keys(WEBVIEW_VALIDATORS).sort(), [...REQUEST_METHODS].sort());
    const { channel, posted } = setup();
    channel.emit("chat/new", {});
    assert.deepEqual(posted, [{ type: "event", event: "chat/new", params: {} }]);
});
