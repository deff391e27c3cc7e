/**
 * Sanitizing rendered markdown before it enters the DOM (DOMPurify, browser only). On top of DOMPurify's
 * defaults: HTML profile only (no SVG/MathML), no media or embedding elements, no inline styles (the CSP
 * forbids them), and any `<img>` whose src is not a data: image is replaced by a placeholder, so raw HTML in a
 * reply cannot make a network request either.
 */
import DOMPurify from "dompurify";
import { isAllowedImageSrc, markdownToHtml } from "./markdown";

let hooked = false;

function installHooks(): void {
    if (hooked) return;
    hooked = true;
    DOMPurify.addHook("uponSanitizeElement", (node, data) => {
        if (data.tagName !== "img") return;
        const el = node as Element;
        const src = el.getAttribute("src") ?? "";
        if (isAllowedImageSrc(src) && !el.hasAttribute("srcset")) return;
        const span = el.ownerDocument.createElement("span");
        span.className = "blocked-image";
        span.textContent = `[image: ${el.getAttribute("alt") || "remote"}]`;
        el.replaceWith(span);
    });
}

export function sanitizeHtml(html: string): string {
    installHooks();
    return DOMPurify.sanitize(html, {
        USE_PROFILES: { html: true },
        FORBID_TAGS: ["style", "link", "meta", "base", "iframe", "frame", "object", "embed", "video", "audio", "source", "track", "picture", "form", "input", "textarea", "select"],
        FORBID_ATTR: ["style", "srcset", "background", "poster", "formaction"],
        ALLOW_DATA_ATTR: true,
    });
}

export function renderMarkdown(markdown: string): string {
    return sanitizeHtml(markdownToHtml(markdown));
}
