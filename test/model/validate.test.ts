/**
 * GGUF header checks before loading: each broken file gives one clear BadModel message; valid files pass,
 * doubtful ones (another architecture, missing GLM-4 special tokens) only warn.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ResponseError } from "vscode-languageserver-protocol";
import { fixtureModelPath } from "../support/models";
import { TINY_SHAPE, writeGlm4Model } from "../support/gguf/glm4Model";
import { checkGgufHeader, validateModelFile } from "../../server/model/validate";
import { loadNodeLlamaCpp } from "../../server/model/llama/engine";

function badModel(pattern: RegExp) {
    return (e: unknown): boolean => {
        assert.ok(e instanceof ResponseError, String(e));
        assert.equal((e.data as { kind: string }).kind, "BadModel");
        assert.match(e.message, pattern);
        return true;
    };
}

describe("validateModelFile", () => {
    let dir: string;
    before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "glm4-validate-")); });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("a valid GLM-4 file passes without warnings", async () => {
        const { summary, warnings } = await validateModelFile(fixtureModelPath("tiny"));
        assert.deepEqual(warnings, []);
        assert.equal(summary.architecture, "glm4");
        assert.equal(summary.name, "glm4-tiny-random");
        assert.equal(summary.trainContextSize, 4096);
        assert.equal(summary.specialTokens.length, 14);
    });

    test("missing file", async () => {
        await assert.rejects(validateModelFile(path.join(dir, "nope.gguf")), badModel(/^Model file not found: .*nope\.gguf\. Set glm4\.model/));
    });

    test("a folder", async () => {
        await assert.rejects(validateModelFile(dir), badModel(/is a folder, not a model file/));
    });

    test("not a GGUF file (wrong magic), and an empty file", async () => {
        const notGguf = path.join(dir, "model.gguf");
        fs.writeFileSync(notGguf, "<html>404 Not Found</html>");
        await assert.rejects(validateModelFile(notGguf), badModel(/is not a GGUF model file \(it starts with bytes 3c 68 74 6d, a GGUF file starts with "GGUF"\)/));
        const empty = path.join(dir, "empty.gguf");
        fs.writeFileSync(empty, "");
        await assert.rejects(validateModelFile(empty), badModel(/is not a GGUF model: the file has only 0 bytes/));
    });

    test("truncated in the tensor data (an interrupted download)", async () => {
        const full = fs.readFileSync(fixtureModelPath("tiny"));
        const cut = path.join(dir, "cut.gguf");
        fs.writeFileSync(cut, full.subarray(0, Math.floor(full.length / 2)));
        await assert.rejects(validateModelFile(cut),
            badModel(new RegExp(`is truncated: it has ${Math.floor(full.length / 2)} bytes but its tensors need ${full.length} \\(50\\.0% present`)));
    });

    test("truncated inside the header", async () => {
        const full = fs.readFileSync(fixtureModelPath("tiny"));
        const cut = path.join(dir, "header.gguf");
        fs.writeFileSync(cut, full.subarray(0, 200));
        await assert.rejects(validateModelFile(cut), badModel(/is truncated or corrupt: its GGUF header cannot be read/));
    });

    test("GLM-4 without glm4.rope.dimension_count is refused, saying why", async () => {
        await assert.rejects(validateModelFile(fixtureModelPath("tiny-norope")),
            badModel(/lacks glm4\.rope\.dimension_count\. GLM-4 rotates only half of each attention head \(8 of 16 dimensions\); without this key llama\.cpp rotates the whole head/));
    });

    test("GLM-4 with a rope dimension other than head_dim/2 is refused", async () => {
        const file = path.join(dir, "rope16.gguf");
        writeGlm4Model(file, { ...TINY_SHAPE, ropeDimensionCount: 16 });
        await assert.rejects(validateModelFile(file), badModel(/glm4\.rope\.dimension_count = 16, but GLM-4 rotates half of each 16-dimension head: it must be 8/));
    });
});

describe("checkGgufHeader", () => {
    test("another architecture and missing GLM-4 special tokens only warn", async () => {
        const nlc = await loadNodeLlamaCpp();
        const file = fixtureModelPath("tiny");
        const info = await nlc.readGgufFileInfo(file, { logWarnings: false });
        const meta = info.metadata as unknown as Record<string, Record<string, unknown>>;
        const ggml = (meta.tokenizer!.ggml as { tokens: string[]; token_type: number[] });
        const tokens = ggml.tokens.map((t) => (t === "<|observation|>" ? "<|obs|>" : t));
        const other = {
            ...info,
            metadata: { ...meta, general: { ...meta.general, architecture: "llama" }, llama: meta.glm4, tokenizer: { ...meta.tokenizer, ggml: { ...ggml, tokens } } },
        } as unknown as typeof info;
        const { errors, warnings } = checkGgufHeader(other, fs.statSync(file).size, file);
        assert.deepEqual(errors, []);
        assert.equal(warnings.length, 2);
        assert.match(warnings[0]!, /has architecture "llama", not "glm4": it will load/);
        assert.match(warnings[1]!, /lacks GLM-4's special tokens <\|observation\|> \(as control tokens\)/);
    });
});
