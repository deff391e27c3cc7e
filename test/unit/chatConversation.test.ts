import { test } from "node:test";
import assert from "node:assert/strict";
import { applyAction, isEmptyInput, newConversation, normalizeInput } from "../../server/chat/conversation";
import { checkChatParams, MAX_INPUT_CHARS, type ChatMessage, type Conversation } from "../../server/protocol/chat";

const msg = (role: ChatMessage["role"], text: string): ChatMessage => ({ id: `${role}-${text}`, role, parts: [{ kind: "text", text }], createdAt: 0 });
const conv = (...messages: ChatMessage[]): Conversation => ({ ...newConversation(0), messages });

test("chat params: shape checks name the first problem", () => {
    assert.equal(checkChatParams({ chatId: "1", action: "send", input: { text: "hi" } }, "params"), undefined);
    assert.match(checkChatParams({ chatId: 1, action: "send" }, "params")!, /params\.chatId should be a string/);
    assert.match(checkChatParams({ chatId: "1", action: "explode" }, "params")!, /params\.action should be one of/);
    assert.match(checkChatParams({ chatId: "1", action: "send", input: { text: "x", command: "rm" } }, "params")!, /command/);
    assert.match(checkChatParams({ chatId: "1", action: "send", input: { text: "x", attachments: [{ kind: "file", label: "a" }] } }, "params")!, /attachments\[0\]\.text/);
    assert.match(checkChatParams({ chatId: "1", action: "send", extra: true }, "params")!, /extra is not expected/);
    assert.match(checkChatParams(null, "params")!, /should be an object/);
});

test("chat input: a 1 MB paste is cut with a notice; empty input is detected", () => {
    const { input, notices } = normalizeInput({ text: "x".repeat(1_000_000) });
    assert.equal(input.text.length, MAX_INPUT_CHARS);
    assert.match(notices[0]!.message, /1,000,000 characters; only the first 100,000/);
    assert.equal(isEmptyInput({ text: "  \n " }), true);
    assert.equal(isEmptyInput({ text: "", command: "explain" }), false);
    assert.equal(isEmptyInput({ text: "hi" }), false);
});

test("chat actions: send appends, retry re-answers the last user message, editLast replaces it", () => {
    const c = conv(msg("user", "q1"), msg("assistant", "a1"), msg("user", "q2"), msg("assistant", "a2"));
    const sent = applyAction(c, "send", { text: "q3" });
    assert.equal(sent.history.length, 4);
    assert.equal(sent.last.role, "user");

    const retried = applyAction(c, "retry", undefined);
    assert.deepEqual(retried.history.map((m) => m.id), ["user-q1", "assistant-a1"]);
    assert.equal(retried.last.id, "user-q2");

    const edited = applyAction(c, "editLast", { text: "q2 edited" });
    assert.deepEqual(edited.history.map((m) => m.id), ["user-q1", "assistant-a1"]);
    assert.deepEqual(edited.last.parts, [{ kind: "text", text: "q2 edited" }]);

    assert.throws(() => applyAction(conv(), "retry", undefined), /no message to retry/);
    assert.throws(() => applyAction(conv(), "editLast", { text: "x" }), /no message to edit/);
});
