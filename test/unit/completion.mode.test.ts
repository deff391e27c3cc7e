/** Single line vs block, per cursor position, and the stop rules that end a suggestion while it streams. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { extractWindow } from "../../server/completion/window";
import { decideMode, opensBlock } from "../../server/completion/mode";
import { cutByMode, stopRule } from "../../server/completion/stopRules";

function at(doc: string) {
    const offset = doc.indexOf("█");
    const text = doc.slice(0, offset) + doc.slice(offset + 1);
    return decideMode(extractWindow(text, offset, { prefixChars: 1000, suffixChars: 1000 }));
}

test("mid-line is a single line", () => {
    assert.equal(at("const x = foo(█a);\n").mode, "line");
    assert.equal(at("let total = items.█length;\n").mode, "line");
});

test("end of an ordinary line is a single line", () => {
    assert.equal(at("const x = 1█\nfoo();\n").mode, "line");
});

test("end of a line that opens a block is a block indented past it", () => {
    const d = at("  if (ready) {█\n  }\n");
    assert.deepEqual(d, { mode: "block", blockIndent: 2, opened: true });
    assert.equal(at("def f(x):█\n").mode, "block");
    assert.equal(at("const f = () =>█\n").mode, "block");
    assert.equal(at("call(█\n").mode, "block");
});

test("an empty line after a block opener is a block at the opener's indent", () => {
    assert.deepEqual(at("    for (const x of xs) {\n\n      █\n    }\n"), { mode: "block", blockIndent: 4, opened: true });
});

test("an empty line elsewhere is a block at the cursor's indent, not opened", () => {
    assert.deepEqual(at("  a();\n  █\n"), { mode: "block", blockIndent: 2, opened: false });
});

test("between brackets that the rest of the line closes is a block", () => {
    assert.deepEqual(at("const o = {█};\n"), { mode: "block", blockIndent: 0, opened: true });
});

test("opensBlock ignores a trailing line comment", () => {
    assert.ok(opensBlock("if (x) { // start"));
    assert.ok(!opensBlock("x = 1 // {"));
});

test("line rule stops at the first line break", () => {
    const ctx = { decision: { mode: "line" as const, blockIndent: 0, opened: false }, maxLines: 16 };
    assert.deepEqual(cutByMode("a + b", ctx), { keep: 5, stop: false });
    assert.deepEqual(cutByMode("a + b;\nnext", ctx), { keep: 6, stop: true });
});

test("block rule waits for a line's indent, then stops on dedent past the block", () => {
    const ctx = { decision: { mode: "block" as const, blockIndent: 2, opened: true }, maxLines: 16 };
    const stop = stopRule(ctx);
    assert.equal(stop("\n    x();\n"), false, "an empty new line says nothing yet");
    assert.equal(stop("\n    x();\n  "), false, "whitespace so far: indent unknown");
    assert.equal(stop("\n    x();\n  }"), false, "the closing line is kept until it ends");
    assert.deepEqual(cutByMode("\n    x();\n  }\n", ctx), { keep: "\n    x();\n  }".length, stop: true });
    assert.deepEqual(cutByMode("\n    x();\nfoo", ctx), { keep: "\n    x();".length, stop: true });
    assert.deepEqual(cutByMode("\n    x();\n  y();", ctx), { keep: "\n    x();".length, stop: true }, "a statement at the opener's indent is past the block");
    assert.deepEqual(cutByMode("\n    x();\n  }", ctx, true), { keep: "\n    x();\n  }".length, stop: true }, "final text: the last line is complete");
});

test("block rule caps lines", () => {
    const ctx = { decision: { mode: "block" as const, blockIndent: 0, opened: false }, maxLines: 3 };
    assert.deepEqual(cutByMode("a\nb\nc\nd\n", ctx), { keep: "a\nb\nc".length, stop: true });
});

test("a block that was not opened by the cursor's line ends at a blank line after code", () => {
    const ctx = { decision: { mode: "block" as const, blockIndent: 0, opened: false }, maxLines: 16 };
    assert.deepEqual(cutByMode("a();\nb();\n\nc();", ctx), { keep: "a();\nb();".length, stop: true });
    assert.equal(cutByMode("\n\na();", ctx).stop, false, "leading blank lines before any code do not end it");
});
