/**
 * GBNF token references (pure). llama.cpp's GBNF can match one token by id (`<[151338]>`) or by its text
 * (`<|observation|>`), and `!<...>` any token but that one. node-llama-cpp 3.21.1 parses grammars once
 * without a vocabulary, so only the id form works there; `resolveTokenReferences` rewrites the text form to the
 * id form with the model's vocabulary, leaving string literals, character classes and comments alone. This is
 * how a grammar can end a tool call with the control token `<|observation|>` (a string literal never produces a
 * control token).
 */

/** Rewrites `<token text>` references to `<[id]>`. Throws on a token text that is not exactly one token. */
export function resolveTokenReferences(gbnf: string, tokenId: (text: string) => number | undefined): string {
    let out = "";
    let i = 0;
    const n = gbnf.length;
    while (i < n) {
        const c = gbnf[i]!;
        if (c === "#") {
            const end = gbnf.indexOf("\n", i);
            const stop = end < 0 ? n : end;
            out += gbnf.slice(i, stop);
            i = stop;
        } else if (c === '"' || c === "[") {
            const close = c === '"' ? '"' : "]";
            let j = i + 1;
            while (j < n && gbnf[j] !== close) j += gbnf[j] === "\\" ? 2 : 1;
            out += gbnf.slice(i, j + 1);
            i = j + 1;
        } else if (c === "<") {
            const end = gbnf.indexOf(">", i + 1);
            if (end < 0) throw new Error(`unterminated token reference at ${i} in grammar`);
            const inner = gbnf.slice(i + 1, end);
            if (inner.startsWith("[")) {
                out += gbnf.slice(i, end + 1);
            } else {
                const id = tokenId(`<${inner}>`);
                if (id === undefined) throw new Error(`grammar token reference <${inner}> is not a single token of this model`);
                out += `<[${id}]>`;
            }
            i = end + 1;
        } else {
            out += c;
            i++;
        }
    }
    return out;
}
