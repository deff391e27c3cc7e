/** The bounded prompt window around the cursor: bounded by the budget, stable while typing, binary detection. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { extractWindow, looksBinary, indentWidth, shortPath, WINDOW_QUANTUM } from "../../server/completion/window";

test("window splits at the cursor, with the cursor's line parts and the line above", () => {
    const text = "function f() {\n  const a = 1;\n\n  return a + b;\n}\n";
    const offset = text.indexOf("a + b") + 2;
    const w = extractWindow(text, offset, { prefixChars: 1000, suffixChars: 1000 });
    assert.equal(w.prefix + w.suffix, text);
    assert.equal(w.linePrefix, "  return a ");
    assert.equal(w.lineSuffix, "+ b;");
    assert.equal(w.previousLine, "  const a = 1;");
    assert.ok(w.atStart && w.atEnd);
});

test("CRLF line ends are not part of the line's suffix", () => {
    const text = "a = 1\r\nb = 2\r\n";
    const w = extractWindow(text, 3, { prefixChars: 100, suffixChars: 100 });
    assert.equal(w.lineSuffix, " 1");
});

test("a 20 MB document gives a window bounded by the budget (multi-line and one giant line)", () => {
    const line = "let value = compute(index) + 1;\n";
    const big = line.repeat(Math.ceil(20_000_000 / line.length));
    const offset = Math.floor(big.length / 2);
    const w = extractWindow(big, offset, { prefixChars: 3000, suffixChars: 1000 });
    assert.ok(w.prefix.length <= 3000 && w.prefix.length > 2000, `prefix ${w.prefix.length}`);
    assert.ok(w.suffix.length <= 1000 && w.suffix.length > 900, `suffix ${w.suffix.length}`);
    assert.equal(big.slice(w.start, w.end), w.prefix + w.suffix);
    assert.equal(big[w.start - 1], "\n", "the window starts at a line start");

    const oneLine = "x".repeat(20_000_000);
    const w2 = extractWindow(oneLine, 10_000_000, { prefixChars: 3000, suffixChars: 1000 });
    assert.ok(w2.prefix.length <= 3000 && w2.suffix.length === 1000);
    assert.equal(w2.previousLine, "");
});

test("typing at the cursor keeps the window's start; it moves at most once per quantum", () => {
    const line = "const item = list[index];\n";
    let text = line.repeat(400);
    let offset = text.length - 100;
    const first = extractWindow(text, offset, { prefixChars: 2000, suffixChars: 500 });
    let moves = 0;
    let start = first.start;
    for (let i = 0; i < WINDOW_QUANTUM * 2; i++) {
        text = text.slice(0, offset) + "z" + text.slice(offset);
        offset++;
        const w = extractWindow(text, offset, { prefixChars: 2000, suffixChars: 500 });
        assert.equal(w.suffix, first.suffix, "the suffix depends only on the text after the cursor");
        if (w.start !== start) moves++;
        start = w.start;
    }
    assert.ok(moves <= 2, `window start moved ${moves} times in ${WINDOW_QUANTUM * 2} keystrokes`);
});

test("binary windows are detected (NUL, U+FFFD)", () => {
    assert.ok(looksBinary({ prefix: "abc\u0000def", suffix: "" }));
    assert.ok(looksBinary({ prefix: "", suffix: "PK\uFFFD\uFFFD" }));
    assert.ok(!looksBinary({ prefix: "const s = \"é ü 日本\";", suffix: "" }));
});

test("indentWidth and shortPath", () => {
    assert.equal(indentWidth("    x"), 4);
    assert.equal(indentWidth("\t x"), 5);
    assert.equal(shortPath("file:///home/u/proj/src/util/math.ts"), "src/util/math.ts");
    assert.equal(shortPath("untitled:Untitled-1"), "Untitled-1");
});
