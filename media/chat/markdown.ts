/**
 * Markdown -> HTML for chat messages (marked + highlight.js), DOM-free so it is unit-tested in Node; the HTML
 * is then sanitized by `sanitize.ts` (DOMPurify) before it touches the DOM. Invariants:
 * - No remote resource: a markdown image is rendered only when it is a `data:image/` URL; any other image
 *   becomes a visible "[image: alt]" placeholder (the CSP `img-src` would block it anyway; this also avoids
 *   the blocked request and explains the gap).
 * - Every fenced code block gets a toolbar (Copy, Insert, Apply) identified by data attributes; the code
 *   itself is read back from the DOM's textContent, never from an attribute.
 * - Streaming-safe: an unclosed fence renders as a code block up to the end of the text.
 */
import { Marked, type Tokens } from "marked";
import hljs from "highlight.js/lib/common";

const escapeHtml = (s: string): string =>
    s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

export function isAllowedImageSrc(src: string): boolean {
    return /^data:image\/(png|jpe?g|gif|webp|bmp);/i.test(src.trim());
}

function highlight(code: string, lang: string): string {
    if (lang && hljs.getLanguage(lang)) {
        try {
            return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
        } catch {
            // fall through to plain text
        }
    }
    return escapeHtml(code);
}

const marked = new Marked({
    gfm: true,
    breaks: false,
    async: false,
    renderer: {
        code({ text, lang }: Tokens.Code): string {
            const language = (lang ?? "").trim().split(/\s+/)[0] ?? "";
            const label = escapeHtml(language || "text");
            return `<div class="code-block" data-lang="${escapeHtml(language)}">`
                + `<div class="code-toolbar"><span class="code-lang">${label}</span>`
                + `<button class="code-action" data-action="copy" title="Copy to the clipboard">Copy</button>`
                + `<button class="code-action" data-action="insert" title="Insert at the cursor in the editor">Insert</button>`
                + `<button class="code-action" data-action="apply" title="Show as a diff against the active file, then accept or reject">Apply…</button>`
                + `</div><pre><code class="hljs${language ? ` language-${escapeHtml(language)}` : ""}">${highlight(text, language)}</code></pre></div>`;
        },
        image({ href, text }: Tokens.Image): string {
            if (isAllowedImageSrc(href)) return `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}">`;
            return `<span class="blocked-image" title="Remote images are not loaded">[image: ${escapeHtml(text || "remote")}]</span>`;
        },
    },
});

/** Markdown to (unsanitized) HTML. */
export function markdownToHtml(markdown: string): string {
    return marked.parse(markdown, { async: false }) as string;
}
