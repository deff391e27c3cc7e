/** Entry of media/dist/planner.js: receives the requirements from the extension and renders them. */
import "./planner.css";
import type { FromWebview, ToWebview } from "./protocol";
import { renderMessage, renderPlanner } from "./view";

declare function acquireVsCodeApi(): { postMessage(m: unknown): void };

const vscode = acquireVsCodeApi();
const post = (m: FromWebview): void => vscode.postMessage(m);
const root = document.getElementById("app")!;

window.addEventListener("message", (e: MessageEvent<ToWebview>) => {
    const m = e.data;
    if (m?.type === "data") renderPlanner(root, m.data, post);
    else if (m?.type === "error") renderMessage(root, m.message, "error");
    else if (m?.type === "loading") renderMessage(root, "Reading the GPUs…", "loading");
});
renderMessage(root, "Reading the GPUs…", "loading");
post({ type: "ready" });
