/** The chat webview's HTML: the shared webview shell (src/webviewHtml.ts) and its CSP. */
import { webviewHtml, type WebviewHtmlOptions } from "../webviewHtml";

export function chatHtml(opts: WebviewHtmlOptions): string {
    return webviewHtml("GLM-4 Chat", opts);
}
