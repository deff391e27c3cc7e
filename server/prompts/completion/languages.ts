/** Language names for completion prompts, from VS Code language ids. */

/** CodeGeeX4's `###LANGUAGE:` tags (its docs: capitalised names; empty when unsure). */
const CODEGEEX_LANGUAGES: Record<string, string> = {
    c: "C", cpp: "C++", csharp: "C#", cuda: "Cuda", "cuda-cpp": "Cuda", dart: "Dart", go: "Go", haskell: "Haskell",
    html: "HTML", java: "Java", javascript: "JavaScript", javascriptreact: "JavaScript", json: "JSON", jsonc: "JSON",
    kotlin: "Kotlin", lua: "Lua", markdown: "Markdown", "objective-cpp": "Objective-C++", objc: "Objective-C",
    pascal: "Pascal", php: "PHP", python: "Python", r: "R", ruby: "Ruby", rust: "Rust", scala: "Scala",
    shellscript: "Shell", sql: "SQL", swift: "Swift", latex: "TeX", tex: "TeX", plaintext: "Text",
    typescript: "TypeScript", typescriptreact: "TypeScript", vue: "Vue", xml: "XML", yaml: "YAML", toml: "TOML",
    css: "CSS", scss: "SCSS", dockerfile: "Dockerfile", makefile: "Makefile", zig: "Zig", elixir: "Elixir",
    erlang: "Erlang", fsharp: "F#", ocaml: "OCaml", perl: "Perl", powershell: "PowerShell", vb: "Visual Basic",
};

export function codeGeexLanguage(languageId: string): string {
    return CODEGEEX_LANGUAGES[languageId] ?? "";
}

/** The info string of a Markdown code fence for a language id. */
const FENCE_LANGUAGES: Record<string, string> = {
    typescriptreact: "tsx", javascriptreact: "jsx", shellscript: "bash", "objective-cpp": "objective-c++",
    plaintext: "", csharp: "csharp", cpp: "cpp",
};

export function fenceLanguage(languageId: string): string {
    const mapped = FENCE_LANGUAGES[languageId];
    if (mapped !== undefined) return mapped;
    return /^[A-Za-z0-9_+#-]{1,32}$/.test(languageId) ? languageId : "";
}
