/**
 * Golden cases for post-processing: each file in test/fixtures/completion/postprocess/ holds a document with
 * the cursor marked "█", the model's raw text, and the expected inserted text ("<none>": no suggestion).
 * The cursor's window, the line/block decision and post-processing all run for real.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { extractWindow } from "../../server/completion/window";
import { decideMode } from "../../server/completion/mode";
import { postprocess, stripFences, trimLineOverlap, cutUnmatchedCloser, dropSuffixLines } from "../../server/completion/postprocess";

const DIR = path.join(__dirname, "..", "fixtures", "completion", "postprocess");
const CURSOR = "█";

function parse(file: string): Record<string, string> {
    const src = fs.readFileSync(file, "utf8");
    const sections: Record<string, string> = {};
    const re = /^=== (\w+)\n/gm;
    const heads = [...src.matchAll(re)];
    heads.forEach((m, i) => {
        const start = m.index! + m[0].length;
        const end = i + 1 < heads.length ? heads[i + 1]!.index! : src.length;
        sections[m[1]!] = src.slice(start, end).replace(/\n$/, "");
    });
    return sections;
}

const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".txt")).sort();

test("golden fixtures exist", () => {
    assert.ok(files.length >= 15, `only ${files.length} golden cases`);
});

for (const f of files) {
    test(`postprocess golden: ${f.replace(/\.txt$/, "")}`, () => {
        const s = parse(path.join(DIR, f));
        const doc = s.document!;
        const offset = doc.indexOf(CURSOR);
        assert.ok(offset >= 0, "the document marks the cursor with █");
        const text = doc.slice(0, offset) + doc.slice(offset + 1);
        const w = extractWindow(text, offset, { prefixChars: 4000, suffixChars: 4000 });
        const decision = decideMode(w);
        const maxLines = s.maxLines ? Number(s.maxLines) : 16;
        const got = postprocess(s.raw!, { linePrefix: w.linePrefix, lineSuffix: w.lineSuffix, suffix: w.suffix, decision, maxLines });
        const expected = s.expected === "<none>" ? undefined : s.expected;
        assert.equal(got, expected, `mode ${decision.mode}, raw ${JSON.stringify(s.raw)}`);
    });
}

test("stripFences drops an opening fence line and cuts at a closing one", () => {
    assert.equal(stripFences("```ts\nconst a = 1;\n```\nmore"), "const a = 1;");
    assert.equal(stripFences("a + b\n```"), "a + b");
    assert.equal(stripFences("no fences"), "no fences");
});

test("trimLineOverlap removes only what would repeat the text after the cursor", () => {
    assert.equal(trimLineOverlap("a, b)", ")"), "a, b");
    assert.equal(trimLineOverlap("a, b);", ")"), "a, b");
    assert.equal(trimLineOverlap("foo", "o = 1"), "foo", "no partial overlap on word characters");
    assert.equal(trimLineOverlap("x", ""), "x");
});

test("cutUnmatchedCloser keeps closers the suffix does not provide", () => {
    assert.equal(cutUnmatchedCloser("a) + 1", ")"), "a");
    assert.equal(cutUnmatchedCloser("a) + 1", "\n"), "a) + 1");
    assert.equal(cutUnmatchedCloser("f(\")\") + g)", ")"), "f(\")\") + g", "closers inside strings and matched pairs are skipped");
});

test("dropSuffixLines drops trailing lines the following code already has", () => {
    assert.equal(dropSuffixLines("\n  x();\n}", "\n}\n"), "\n  x();");
    assert.equal(dropSuffixLines("\n  x();\n}", "\nfoo();\n"), "\n  x();\n}");
});
