import { test } from "node:test";
import assert from "node:assert/strict";
import { countParts, cutText, fitConversation, minReplyTokens } from "../../server/chat/budget";
import type { ChatMessage } from "../../server/protocol/chat";

/** A stand-in tokenizer for pure budget arithmetic: one token per 4 characters (the real one is in test/server). */
const count = (t: string): number => Math.ceil(t.length / 4);
const user = (text: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({ id: `u${text.length}`, role: "user", parts: [{ kind: "text", text }], createdAt: 0, ...extra });
const assistant = (text: string): ChatMessage => ({ id: "a", role: "assistant", parts: [{ kind: "text", text }], createdAt: 0 });

test("budget: special parts count one token per control token", () => {
    assert.equal(countParts([{ text: "[gMASK]<sop>", special: true }, { text: "<|user|>", special: true }, { text: "abcdefgh" }], count), 5);
});

test("budget: a conversation that fits is sent whole, no notice", () => {
    const r = fitConversation({ system: "sys", history: [user("hello"), assistant("\nhi")], last: user("again"), contextSize: 1000, maxReplyTokens: 100, countTokens: count });
    assert.equal(r.messages.length, 3);
    assert.deepEqual(r.notices, []);
    assert.equal(r.usage.truncated, false);
    assert.equal(r.usage.promptTokens, countParts(r.prompt, count));
    assert.equal(r.usage.maxReplyTokens, 100);
});

test("budget: oldest turns go first, whole turns, with a notice; system and last message stay", () => {
    const history: ChatMessage[] = [];
    for (let i = 0; i < 10; i++) history.push(user(`question ${i} `.repeat(20)), assistant(`\nanswer ${i} `.repeat(20)));
    const last = user("the last question");
    const r = fitConversation({ system: "SYSTEM", history, last, contextSize: 1024, maxReplyTokens: 128, countTokens: count });
    assert.equal(r.messages.at(-1), last);
    assert.equal(r.messages[0]!.role, "user", "a kept history starts at a user message");
    assert.ok(r.messages.length < 21 && r.messages.length > 1);
    assert.ok(r.prompt.some((p) => p.text.includes("SYSTEM")));
    assert.equal(r.notices.length, 1);
    assert.match(r.notices[0]!.message, /Left out the \d+ oldest messages/);
    assert.ok(r.usage.promptTokens + minReplyTokens(1024, 128) <= 1024);
    assert.ok(r.usage.promptTokens + r.usage.maxReplyTokens <= 1024);
    assert.equal(r.usage.truncated, true);
});

test("budget: attachments are cut (first first) before the message text", () => {
    const big = Array.from({ length: 400 }, (_, i) => `line ${i} of the file`).join("\n");
    const last = user("explain", { attachments: [{ kind: "file", label: "big.ts", text: big }, { kind: "selection", label: "small.ts:1-2", text: "x = 1" }] });
    const r = fitConversation({ system: "s", history: [], last, contextSize: 1024, maxReplyTokens: 256, countTokens: count });
    const kept = r.messages.at(-1)!;
    assert.equal(kept.parts[0]!.kind === "text" && kept.parts[0]!.text, "explain");
    assert.equal(kept.attachments!.length, 2);
    assert.ok(kept.attachments![0]!.text.length < big.length);
    assert.equal(kept.attachments![1]!.text, "x = 1");
    assert.match(r.notices[0]!.message, /Cut big\.ts to its first \d+ of 400 lines/);
    assert.ok(r.usage.promptTokens + minReplyTokens(1024, 256) <= 1024);
});

test("budget: an over-long last message keeps its head and tail, with a notice, never an overflow", () => {
    const text = `HEAD ${"x".repeat(20_000)} TAIL`;
    const r = fitConversation({ system: "s", history: [user("old"), assistant("\nold")], last: user(text), contextSize: 512, maxReplyTokens: 64, countTokens: count });
    const kept = r.messages.at(-1)!.parts[0]!;
    assert.ok(kept.kind === "text" && kept.text.startsWith("HEAD") && kept.text.endsWith("TAIL") && kept.text.includes("characters cut"));
    assert.ok(r.notices.some((n) => /middle of your message/.test(n.message)));
    assert.ok(r.usage.promptTokens + r.usage.maxReplyTokens <= 512);
});

test("budget: cutText keeps within the token limit", () => {
    const t = "abcdefghij".repeat(100);
    assert.equal(cutText(t, 1000, count), t);
    assert.ok(count(cutText(t, 50, count)) <= 50);
    const mid = cutText(t, 60, count, true);
    assert.ok(count(mid) <= 60 && mid.startsWith("abc") && mid.endsWith("hij"));
    assert.equal(cutText(t, 0, count), "");
});
