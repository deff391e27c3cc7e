/**
 * What the status bar item shows, as a pure function of server state, model status and the last completion
 * metrics (free of `vscode`, unit-tested). `statusBar.ts` only copies the result onto the item.
 */
import type { CompletionMetrics } from "../server/protocol/completion";
import type { ModelStatus } from "../server/protocol/status";
import { serverDownMessage, type ServerState } from "./serverHealth";

export interface StatusInput {
    server: ServerState;
    /** Undefined until the first status arrived from the running server. */
    model: ModelStatus | undefined;
    /** The last inline completion's metrics, if any since the model became ready. */
    metrics: CompletionMetrics | undefined;
    completionEnabled: boolean;
}

export interface StatusView {
    /** Status bar text with codicons. */
    text: string;
    tooltip: string;
    /** "warning"/"error" select the status bar's warning/error background. */
    severity: "normal" | "warning" | "error";
}

const NAME = "GLM-4";
const CLICK = "Click to show the logs.";

function percent(progress: number | undefined): string {
    return progress === undefined || !Number.isFinite(progress) ? "" : ` ${Math.round(Math.min(1, Math.max(0, progress)) * 100)}%`;
}

function shortName(name: string | undefined): string {
    if (!name) return NAME;
    return name.length > 32 ? `${name.slice(0, 31)}…` : name;
}

/** " · 120 ms · 35 tok/s", or " · 12 ms (cached)". */
export function metricsText(m: CompletionMetrics | undefined): string {
    if (!m) return "";
    const latency = `${Math.round(m.latencyMs)} ms`;
    if (m.cached) return ` · ${latency} (cached)`;
    return m.tokensPerSecond > 0 ? ` · ${latency} · ${m.tokensPerSecond.toFixed(m.tokensPerSecond < 10 ? 1 : 0)} tok/s` : ` · ${latency}`;
}

function modelDetails(model: ModelStatus): string[] {
    const lines: string[] = [];
    if (model.device) lines.push(model.device);
    if (model.contextSize) lines.push(`Context: ${model.contextSize} tokens`);
    return lines;
}

function metricsDetails(m: CompletionMetrics | undefined): string[] {
    if (!m) return [];
    const speed = m.cached ? "served from cache" : `${m.generatedTokens} tokens at ${m.tokensPerSecond.toFixed(1)} tok/s`;
    return [
        `Last suggestion: ${Math.round(m.latencyMs)} ms, ${speed}`,
        `Prompt: ${m.reusedPromptTokens} tokens reused, ${m.evaluatedPromptTokens} evaluated`,
    ];
}

export function renderStatus(input: StatusInput): StatusView {
    const { server, model, metrics, completionEnabled } = input;
    const completionLine = `Inline completion: ${completionEnabled ? "on" : "off"}`;
    if (server.kind === "down") {
        return {
            text: `$(error) ${NAME}`,
            tooltip: [serverDownMessage(server.reason), "Run “GLM-4: Restart Language Server” to try again.", CLICK].join("\n"),
            severity: "error",
        };
    }
    if (server.kind === "starting" || !model) {
        return { text: `$(loading~spin) ${NAME}`, tooltip: [`${NAME}: starting the language server…`, CLICK].join("\n"), severity: "normal" };
    }
    switch (model.state) {
        case "downloading":
            return {
                text: `$(cloud-download) ${NAME}${percent(model.progress)}`,
                tooltip: [`${NAME}: downloading ${model.modelName ?? "the model"}${percent(model.progress)}`, CLICK].join("\n"),
                severity: "normal",
            };
        case "loading":
            return {
                text: `$(loading~spin) ${NAME}${percent(model.progress)}`,
                tooltip: [`${NAME}: loading ${model.modelName ?? "the model"}${percent(model.progress)}`, ...modelDetails(model), CLICK].join("\n"),
                severity: "normal",
            };
        case "ready":
            return {
                text: `${completionEnabled ? "$(sparkle)" : "$(circle-slash)"} ${shortName(model.modelName)}${metricsText(metrics)}`,
                tooltip: [`${NAME}: ${model.modelName ?? "model"} ready`, ...modelDetails(model), ...metricsDetails(metrics), completionLine, CLICK].join("\n"),
                severity: "normal",
            };
        case "error":
            return {
                text: `$(warning) ${NAME}`,
                tooltip: [`${NAME}: the model could not be loaded: ${model.error ?? "unknown error"}`, "Run “GLM-4: Reload Model” after fixing it.", CLICK].join("\n"),
                severity: "warning",
            };
        case "unloaded":
            return {
                text: `$(debug-pause) ${NAME}`,
                tooltip: [`${NAME}: model unloaded while idle; it loads again on first use`, completionLine, CLICK].join("\n"),
                severity: "normal",
            };
        case "idle":
            return {
                text: `$(circle-outline) ${NAME}`,
                tooltip: [`${NAME}: no model loaded yet`, completionLine, CLICK].join("\n"),
                severity: "normal",
            };
    }
}
