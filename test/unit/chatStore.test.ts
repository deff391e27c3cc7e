import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConversationStore, isValidConversationId, titleFor } from "../../server/chat/store";
import { memoryLogger } from "../../server/logger";
import type { Conversation } from "../../server/protocol/chat";

function tmpDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "glm4-chat-store-"));
}
const conv = (id: string, updatedAt: number, text = "hello"): Conversation => ({
    id, title: text, createdAt: 1, updatedAt,
    messages: [{ id: "u1", role: "user", parts: [{ kind: "text", text }], createdAt: 1 }],
});

test("store: save, get, list newest first, delete; survives a new store instance (restart)", async () => {
    const dir = path.join(tmpDir(), "nested", "chat");
    const store = new ConversationStore(dir, memoryLogger());
    assert.deepEqual(await store.list(), [], "a missing folder is an empty history");
    await store.save(conv("aaa", 10, "first"));
    await store.save(conv("bbb", 20, "second"));
    const again = new ConversationStore(dir, memoryLogger());
    assert.deepEqual((await again.list()).map((c) => c.id), ["bbb", "aaa"]);
    assert.deepEqual(await again.get("aaa"), conv("aaa", 10, "first"));
    assert.equal(await again.delete("aaa"), true);
    assert.equal(await again.delete("aaa"), false);
    assert.deepEqual((await again.list()).map((c) => c.id), ["bbb"]);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")), [], "no temporary files left");
});

test("store: concurrent saves of one conversation serialize; the last one wins", async () => {
    const store = new ConversationStore(tmpDir(), memoryLogger());
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(conv("ccc", i, `v${i}`))));
    assert.equal((await store.get("ccc"))!.title, "v19");
});

test("store: a corrupt file is logged, moved aside and skipped; the rest still lists", async () => {
    const dir = tmpDir();
    const log = memoryLogger();
    const store = new ConversationStore(dir, log);
    await store.save(conv("good", 5));
    fs.writeFileSync(path.join(dir, "bad.json"), "{\"version\":1,\"conversation\":{\"id\":\"bad\",");
    fs.writeFileSync(path.join(dir, "wrong.json"), JSON.stringify({ version: 1, conversation: { id: "wrong", title: 3 } }));
    assert.deepEqual((await store.list()).map((c) => c.id), ["good"]);
    assert.equal(await store.get("bad"), undefined);
    assert.ok(fs.existsSync(path.join(dir, "bad.json.corrupt")));
    assert.ok(fs.existsSync(path.join(dir, "wrong.json.corrupt")));
    assert.ok(log.lines.some((l) => l.startsWith("warn") && l.includes("bad.json")));
});

test("store: ids that could escape the folder are refused", async () => {
    const store = new ConversationStore(tmpDir(), memoryLogger());
    assert.equal(isValidConversationId("../etc/passwd"), false);
    assert.equal(isValidConversationId("c-1_A"), true);
    await assert.rejects(store.get("../x"));
    assert.throws(() => store.save({ ...conv("x", 1), id: "a/b" }));
});

test("store: titles come from the first user message", () => {
    assert.equal(titleFor(conv("a", 1, "How do I\nsecond line").messages), "How do I");
    assert.equal(titleFor(conv("a", 1, "x".repeat(100)).messages).length, 60);
    assert.equal(titleFor([]), "New chat");
});
