/** Cross-file ring: bounded chunks of other files, newest that fit the token budget, shown oldest first. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TextDocument } from "vscode-languageserver-textdocument";
import { CrossFileRing } from "../../server/completion/ring";

const doc = (name: string, lines: number, tag = name) =>
    TextDocument.create(`file:///w/src/${name}`, "typescript", 1, Array.from({ length: lines }, (_, i) => `export const ${tag}${i} = ${i};`).join("\n") + "\n");
const count = (t: string) => Math.ceil(t.length / 4);

test("select takes the newest chunks of other files that fit the budget, oldest first", () => {
    const ring = new CrossFileRing({ linesAround: 2 });
    ring.note(doc("a.ts", 50), 10);
    ring.note(doc("b.ts", 50), 10);
    ring.note(doc("c.ts", 50), 10);
    const all = ring.select("file:///w/src/zzz.ts", 10_000, count);
    assert.deepEqual(all.map((c) => c.path), ["w/src/a.ts", "w/src/b.ts", "w/src/c.ts"]);
    assert.match(all[0]!.text, /^export const a\.ts8 = 8;\n(.*\n){4}$/);
    const oneChunk = count(all[2]!.text) + count(all[2]!.path) + 8;
    const some = ring.select("file:///w/src/zzz.ts", oneChunk * 2, count);
    assert.deepEqual(some.map((c) => c.path), ["w/src/b.ts", "w/src/c.ts"], "the two newest fit");
    assert.deepEqual(ring.select("file:///w/src/c.ts", 10_000, count).map((c) => c.path), ["w/src/a.ts", "w/src/b.ts"], "the current file is excluded");
    assert.deepEqual(ring.select("file:///w/src/c.ts", 0, count), [], "budget 0 turns it off");
});

test("a new chunk replaces an overlapping chunk of the same file and becomes the newest", () => {
    const ring = new CrossFileRing({ linesAround: 2 });
    const a = doc("a.ts", 50);
    ring.note(a, 10);
    ring.note(doc("b.ts", 50), 10);
    ring.note(a, 11);
    assert.equal(ring.size, 2);
    assert.deepEqual(ring.select("x", 10_000, count).map((c) => c.path), ["w/src/b.ts", "w/src/a.ts"]);
    ring.note(a, 40);
    assert.equal(ring.size, 3, "a distant region of the same file is its own chunk");
    ring.forget(a.uri);
    assert.equal(ring.size, 1);
});

test("capacity, chunk size and binary text are bounded", () => {
    const ring = new CrossFileRing({ capacity: 3, linesAround: 100, maxChunkChars: 200 });
    for (let i = 0; i < 5; i++) ring.note(doc(`f${i}.ts`, 300), 150);
    assert.equal(ring.size, 3);
    for (const c of ring.select("x", 100_000, count)) assert.ok(c.text.length <= 200, `chunk of ${c.text.length} chars`);
    ring.note(TextDocument.create("file:///w/bin.dat", "plaintext", 1, "PK\u0003\u0004\u0000\u0000binary"), 0);
    assert.ok(!ring.select("x", 100_000, count).some((c) => c.path.endsWith("bin.dat")));
});

test("countTokens runs once per chunk", () => {
    const ring = new CrossFileRing({ linesAround: 2 });
    ring.note(doc("a.ts", 20), 5);
    let calls = 0;
    const counting = (t: string) => { calls++; return count(t); };
    ring.select("x", 10_000, counting);
    const first = calls;
    ring.select("x", 10_000, counting);
    assert.equal(calls, first);
});
