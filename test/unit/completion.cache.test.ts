/** Typed-through cache: serve the rest of a shown suggestion while the user types its first characters. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TypedThroughCache } from "../../server/completion/cache";

const URI = "file:///w/a.ts";
const before = "function add(a: number, b: number) {\n  return ";
const after = "\n}\n";

test("typing the first characters of a suggestion serves the rest", () => {
    const cache = new TypedThroughCache();
    cache.add(URI, before + after, before.length, "a + b;");
    assert.deepEqual(cache.lookup(URI, before + after, before.length), { text: "a + b;", typed: 0 });
    const typed = before + "a +" + after;
    assert.deepEqual(cache.lookup(URI, typed, before.length + 3), { text: " b;", typed: 3 });
});

test("typing something else, or the whole suggestion, is a miss", () => {
    const cache = new TypedThroughCache();
    cache.add(URI, before + after, before.length, "a + b;");
    assert.equal(cache.lookup(URI, before + "x" + after, before.length + 1), undefined);
    assert.equal(cache.lookup(URI, before + "a + b;" + after, before.length + 6), undefined);
    assert.deepEqual(cache.lookup(URI, before + "a + b" + after, before.length + 5), { text: ";", typed: 5 });
});

test("a change before the cursor or after it, or another document, is a miss", () => {
    const cache = new TypedThroughCache();
    cache.add(URI, before + after, before.length, "a + b;");
    const edited = before.replace("add", "sum") + "a" + after;
    assert.equal(cache.lookup(URI, edited, before.length + 1), undefined);
    assert.equal(cache.lookup(URI, before + "a" + "\n  x();" + after, before.length + 1), undefined);
    assert.equal(cache.lookup("file:///w/b.ts", before + "a" + after, before.length + 1), undefined);
});

test("clear forgets one document or all; capacity is bounded", () => {
    const cache = new TypedThroughCache(2);
    cache.add(URI, before + after, before.length, "a + b;");
    cache.add("file:///w/b.ts", "x", 1, "yz");
    cache.add("file:///w/c.ts", "x", 1, "yz");
    assert.equal(cache.size, 2);
    assert.equal(cache.lookup(URI, before + after, before.length), undefined, "oldest entry evicted");
    cache.clear("file:///w/b.ts");
    assert.equal(cache.size, 1);
    cache.clear();
    assert.equal(cache.size, 0);
});
