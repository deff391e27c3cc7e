/** The GPU requirements panel's HTML: the shared webview shell (src/webviewHtml.ts), same CSP as the chat view. */
import { webviewHtml, type WebviewHtmlOptions } from "../webviewHtml";

export function plannerHtml(opts: WebviewHtmlOptions): string {
    return webviewHtml("GLM-4 GPU requirements", opts);
}
