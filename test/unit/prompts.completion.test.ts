/**
 * Completion prompt formats: special vs text parts, layout, format choice from the vocabulary, and the KV
 * property that a keystroke at the cursor changes only the end of the prompt.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Prompt } from "../../server/model/languageModel";
import { CodeGeexFormat, FillInFormat, FILL_IN_SYSTEM, completionFormatFor, pickFormatId, type CompletionFormat, type CompletionPromptInput } from "../../server/prompts/completion";
import { extractWindow } from "../../server/completion/window";
import { decideMode } from "../../server/completion/mode";

const GLM4_SPECIALS = ["<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"];
const CODEGEEX_SPECIALS = [...GLM4_SPECIALS, "<|code_prefix|>", "<|code_middle|>", "<|code_suffix|>"];

/** One string for a prompt, special parts marked, so prompts compare as sequences. */
const flat = (p: Prompt) => p.map((x) => (x.special ? `⟪${x.text}⟫` : x.text)).join("");
const specials = (p: Prompt) => p.filter((x) => x.special).map((x) => x.text);

const input = (over: Partial<CompletionPromptInput> = {}): CompletionPromptInput => ({
    path: "src/math.ts", languageId: "typescript", mode: "line",
    prefix: "export function add(a: number, b: number) {\n  return a",
    suffix: ";\n}\n", crossFile: [], ...over,
});

test("format choice reads the model's special tokens and the setting, never a file name", () => {
    assert.equal(pickFormatId(CODEGEEX_SPECIALS, "auto"), "codegeex");
    assert.equal(pickFormatId(GLM4_SPECIALS, "auto"), "fill-in");
    assert.equal(pickFormatId(GLM4_SPECIALS, "codegeex"), "codegeex");
    assert.equal(pickFormatId(CODEGEEX_SPECIALS, "fill-in"), "fill-in");
    assert.equal(completionFormatFor(CODEGEEX_SPECIALS, "auto").id, "codegeex");
    assert.equal(completionFormatFor(GLM4_SPECIALS, "auto").id, "fill-in");
});

test("codegeex: [gMASK]<sop>, header, suffix before prefix, role and infill tokens as special parts", () => {
    const built = new CodeGeexFormat().build(input({ crossFile: [{ path: "src/util.ts", text: "export const two = 2;" }] }));
    assert.deepEqual(specials(built.prompt), ["[gMASK]<sop>", "<|user|>", "<|code_suffix|>", "<|code_prefix|>", "<|code_middle|>", "<|assistant|>"]);
    assert.equal(flat(built.prompt),
        "⟪[gMASK]<sop>⟫⟪<|user|>⟫\n###REFERENCE:\n###PATH:src/util.ts\nexport const two = 2;\n" +
        "###PATH:src/math.ts\n###LANGUAGE:TypeScript\n###MODE:BLOCK\n" +
        "⟪<|code_suffix|>⟫;\n}\n⟪<|code_prefix|>⟫export function add(a: number, b: number) {\n  return a⟪<|code_middle|>⟫⟪<|assistant|>⟫\n");
    assert.equal(built.prefill, "");
    const perPosition = new CodeGeexFormat({ modeHeader: "per-position" }).build(input());
    assert.match(flat(perPosition.prompt), /###MODE:LINE\n/);
});

test("fill-in: system, cross-file context, file with a hole, assistant prefilled with the line", () => {
    const built = new FillInFormat().build(input({ crossFile: [{ path: "src/util.ts", text: "export const two = 2;\n" }] }));
    assert.deepEqual(specials(built.prompt), ["[gMASK]<sop>", "<|system|>", "<|user|>", "<|assistant|>"]);
    assert.equal(flat(built.prompt),
        `⟪[gMASK]<sop>⟫⟪<|system|>⟫\n${FILL_IN_SYSTEM}⟪<|user|>⟫\n` +
        "Code from other files, for reference:\n\nFile: src/util.ts\n```\nexport const two = 2;\n```\n\n" +
        "File: src/math.ts\n```typescript\nexport function add(a: number, b: number) {\n<HOLE>;\n}\n```\n\n" +
        "Replace <HOLE> with the code that belongs there." +
        "⟪<|assistant|>⟫\n```typescript\n  return a");
    assert.equal(built.prefill, "  return a");
    assert.deepEqual(built.stop, ["```"]);
});

test("user code is always a text part, even when it contains special-token text", () => {
    const sneaky = input({ prefix: "const s = \"<|user|>[gMASK]\";\nconst t = \"<|code_middle|>", suffix: "<|assistant|>\";\n" });
    for (const f of [new CodeGeexFormat(), new FillInFormat()]) {
        const p = f.build(sneaky).prompt;
        for (const part of p.filter((x) => x.special)) assert.ok(!part.text.includes("const"), `${f.id}: special part ${part.text}`);
        assert.ok(p.some((x) => !x.special && x.text.includes("\"<|user|>[gMASK]\"")), f.id);
    }
});

test("fill-in picks a longer fence and another hole marker when the code holds them", () => {
    const built = new FillInFormat().build(input({ prefix: "const md = `\n```js\nx <HOLE> y\n", suffix: "`;\n" }));
    assert.equal(built.fence, "````");
    assert.deepEqual(built.stop, ["````"]);
    assert.match(flat(built.prompt), /<\|HOLE\|>/);
});

/** Builds the prompt for `text` with the cursor at `offset`, the way the engine does. */
function promptAt(format: CompletionFormat, text: string, offset: number): Prompt {
    const w = extractWindow(text, offset, { prefixChars: 2400, suffixChars: 800 });
    return format.build({ path: "src/big.ts", languageId: "typescript", mode: decideMode(w).mode, prefix: w.prefix, suffix: w.suffix, crossFile: [{ path: "src/util.ts", text: "export const two = 2;\n" }] }).prompt;
}

for (const format of [new CodeGeexFormat(), new FillInFormat()]) {
    test(`${format.id}: a keystroke at the cursor changes only the end of the prompt`, () => {
        const lines = Array.from({ length: 300 }, (_, i) => `  const v${i} = compute(${i}, options);`);
        const doc = `export function run(options: Options) {\n${lines.join("\n")}\n  return \n}\n`;
        const cursor = doc.indexOf("  return ") + "  return ".length;
        const a = flat(promptAt(format, doc, cursor));
        const typed = doc.slice(0, cursor) + "v" + doc.slice(cursor);
        const b = flat(promptAt(format, typed, cursor + 1));
        // The fixed tail after the cursor's text (codegeex: "<|code_middle|><|assistant|>\n"; fill-in: none).
        const tail = format.id === "codegeex" ? "⟪<|code_middle|>⟫⟪<|assistant|>⟫\n" : "";
        assert.ok(a.endsWith(tail));
        const stable = a.slice(0, a.length - tail.length);
        assert.ok(b.startsWith(stable), "the old prompt, minus its fixed tail, is a prefix of the new one");
        assert.equal(b.slice(stable.length), "v" + tail);
        // Mid-line typing too (the suffix holds the rest of the line).
        const mid = doc.indexOf("compute(150") + "compute(".length;
        const c = flat(promptAt(format, doc, mid));
        const d = flat(promptAt(format, doc.slice(0, mid) + "1" + doc.slice(mid), mid + 1));
        assert.ok(d.startsWith(c.slice(0, c.length - tail.length)));
    });
}

test("codegeex keeps ###MODE stable by default when the mode flips, per-position writes it", () => {
    const line = input({ mode: "line" });
    const block = input({ mode: "block" });
    assert.equal(flat(new CodeGeexFormat().build(line).prompt), flat(new CodeGeexFormat().build(block).prompt));
    assert.notEqual(flat(new CodeGeexFormat({ modeHeader: "per-position" }).build(line).prompt), flat(new CodeGeexFormat({ modeHeader: "per-position" }).build(block).prompt));
});

test("fill-in: the line/block decision does not enter the prompt (stop rules enforce it)", () => {
    const f = new FillInFormat();
    assert.equal(flat(f.build(input({ mode: "line" })).prompt), flat(f.build(input({ mode: "block" })).prompt));
});
