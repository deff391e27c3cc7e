/**
 * Entry of the chat webview (bundled to media/dist/chat.js, with chat.css to media/dist/chat.css).
 * DOM only: talks to the extension through the typed channel and nothing else.
 */
import "./chat.css";
import { WebviewChannel } from "./channel";
import { ChatView } from "./view";

interface VsCodeApi {
    postMessage(message: unknown): void;
    getState(): unknown;
    setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const channel = new WebviewChannel(api, window);
const root = document.getElementById("app") ?? document.body;
const view = new ChatView(root, channel, api);
void view.start().catch((e: unknown) => console.error("chat: start failed", e));
