/** Pure pieces of the generation loop: stop-string withholding, UTF-8-safe decoding, GBNF token references. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { StopStringStream, Utf8TokenDecoder } from "../../server/model/llama/textStream";
import { resolveTokenReferences } from "../../server/model/llama/grammarTokens";

function run(stops: string[], pieces: string[]) {
    const deltas: string[] = [];
    const s = new StopStringStream(stops, (d) => deltas.push(d));
    let stopped: string | undefined;
    for (const p of pieces) { stopped = s.push(p); if (stopped) break; }
    s.finish();
    return { deltas, text: s.text, stopped };
}

describe("StopStringStream", () => {
    test("withholds a possible stop-string prefix and drops the stop string", () => {
        const r = run(["```"], ["ab", "c`", "`", "`x"]);
        assert.equal(r.stopped, "```");
        assert.equal(r.text, "abc");
        assert.deepEqual(r.deltas, ["ab", "c"]);
    });

    test("releases a withheld prefix once it cannot be a stop string any more", () => {
        const r = run(["```"], ["ab`", "`d", "e"]);
        assert.equal(r.stopped, undefined);
        assert.deepEqual(r.deltas, ["ab", "``d", "e"]);
        assert.equal(r.text, "ab``de");
    });

    test("releases the withheld tail when generation ends", () => {
        const r = run(["\n\n"], ["line\n"]);
        assert.deepEqual(r.deltas, ["line", "\n"]);
        assert.equal(r.text, "line\n");
    });

    test("the earliest of several stop strings wins, inside one piece too", () => {
        const r = run(["END", "\n\n"], ["a\n\nb END"]);
        assert.equal(r.stopped, "\n\n");
        assert.equal(r.text, "a");
        assert.deepEqual(r.deltas, ["a"]);
    });

    test("no stop strings: every piece passes straight through", () => {
        const r = run([], ["x", "y"]);
        assert.deepEqual(r.deltas, ["x", "y"]);
    });
});

describe("Utf8TokenDecoder", () => {
    // Tokens are byte values here; detokenize decodes the bytes of the pending tokens as UTF-8.
    const decoder = () => new Utf8TokenDecoder<number>((t) => Buffer.from(t).toString("utf8"));

    test("holds an incomplete character until its last byte arrives", () => {
        const d = decoder();
        const bytes = [...Buffer.from("a€😀")];
        const out = bytes.map((b) => d.push(b));
        assert.deepEqual(out, ["a", "", "", "€", "", "", "", "😀"]);
        assert.equal(d.flush(), "");
    });

    test("an invalid byte does not block the stream for more than 4 tokens", () => {
        const d = decoder();
        assert.deepEqual([0xff, 0x61, 0x62].map((b) => d.push(b)), ["", "\uFFFDa", "b"]);
        assert.deepEqual([0xff, 0xff, 0xff, 0xff, 0x63].map((b) => d.push(b)), ["", "", "", "\uFFFD".repeat(4), "c"]);
    });
});

describe("resolveTokenReferences", () => {
    const ids: Record<string, number> = { "<|observation|>": 291, "<|user|>": 289 };
    const lookup = (t: string) => ids[t];

    test("rewrites token texts to ids, outside strings, classes and comments", () => {
        const g = 'root ::= "a<|user|>" [<>] call <|observation|> # ends with <|user|>\ncall ::= !<|user|> <[7]>';
        assert.equal(resolveTokenReferences(g, lookup),
            'root ::= "a<|user|>" [<>] call <[291]> # ends with <|user|>\ncall ::= !<[289]> <[7]>');
    });

    test("escaped quotes inside strings do not end them", () => {
        assert.equal(resolveTokenReferences('root ::= "say \\"<|user|>\\"" <|user|>', lookup), 'root ::= "say \\"<|user|>\\"" <[289]>');
    });

    test("an unknown token is an error naming it", () => {
        assert.throws(() => resolveTokenReferences("root ::= <|nope|>", lookup), /<\|nope\|> is not a single token/);
    });
});
