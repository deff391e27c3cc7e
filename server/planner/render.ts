/**
 * Renders the requirements table as text for a terminal (`node out/cli.js plan`): one row per variant, one
 * column per context, VRAM in GiB, coloured by whether it fits the detected GPU, then the GPU classes.
 */
import type { RequirementsResult } from "../protocol/planner";
import { GiB } from "./calculator";

const ANSI = { green: "\x1b[32m", red: "\x1b[31m", yellow: "\x1b[33m", bold: "\x1b[1m", dim: "\x1b[2m", reset: "\x1b[0m" };

export function contextLabel(c: number): string {
    return c >= 1024 && c % 1024 === 0 ? `${c / 1024}K` : String(c);
}

const gib = (b: number): string => (b / GiB).toFixed(1);
const gb = (b: number): string => (b / 1e9).toFixed(2);

export function renderTable(r: RequirementsResult, opts: { color?: boolean } = {}): string {
    const c = opts.color ? ANSI : { green: "", red: "", yellow: "", bold: "", dim: "", reset: "" };
    const lines: string[] = [];
    const d = r.detected;
    lines.push(d.gpuType
        ? `${c.bold}GPU:${c.reset} ${d.names.join(" + ") || d.gpuType} (${d.gpuType}), ${gib(d.vramFree)} of ${gib(d.vramTotal)} GiB free${d.heldByModel ? ` (counting ${gib(d.heldByModel)} GiB held by the loaded model)` : ""}; headroom ${gib(r.headroom)} GiB`
        : `${c.bold}GPU:${c.reset} none detected (CPU only); RAM ${gib(d.ramFree)} of ${gib(d.ramTotal)} GiB free`);
    lines.push(`Required VRAM in GiB, all layers on the GPU, ${r.engineContexts > 1 ? `${r.engineContexts} contexts, ` : ""}KV cache ${r.kvCacheType}, flash attention ${r.flashAttention ? "on" : "off"}${r.contexts.some((x) => x > r.nativeContext) ? `; * = YaRN beyond the native ${contextLabel(r.nativeContext)}` : ""}`);
    lines.push("");
    const head = ["Model", "Quant", "File GB", ...r.contexts.map((x) => contextLabel(x) + (x > r.nativeContext ? "*" : ""))];
    const body = r.rows.map((row) => [
        (row.recommended ? "> " : "  ") + row.modelName,
        row.quant,
        gb(row.fileBytes) + (row.sizeSource === "derived" ? "~" : ""),
        ...row.cells.map((cell) => gib(cell.vram.total)),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const fmt = (cells: string[], colorOf?: (i: number) => string): string =>
        cells.map((s, i) => {
            const padded = i < 2 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!);
            const col = colorOf?.(i) ?? "";
            return col ? col + padded + c.reset : padded;
        }).join("  ");
    lines.push(c.bold + fmt(head) + c.reset);
    r.rows.forEach((row, ri) => {
        lines.push(fmt(body[ri]!, (i) => {
            if (i < 3) return row.recommended ? c.bold : "";
            const cell = row.cells[i - 3]!;
            if (cell.fitsDetected === undefined) return "";
            const rec = row.recommended && r.recommended?.contextSize === cell.contextSize;
            return (rec ? c.bold : "") + (cell.fitsDetected ? c.green : c.red);
        }));
    });
    lines.push("");
    if (r.recommended) lines.push(`${c.bold}Recommended:${c.reset} ${r.recommended.explanation}`);
    lines.push("");
    lines.push(`${c.bold}Largest variant that fits each GPU class${c.reset} (all layers on the GPU):`);
    const nativeIdx = r.contexts.indexOf(r.nativeContext) >= 0 ? r.contexts.indexOf(r.nativeContext) : r.contexts.length - 1;
    r.classes.forEach((cls, ci) => {
        const byModel = new Map<string, string>();
        for (const row of r.rows) if (row.cells[nativeIdx]?.fitsClasses[ci]) byModel.set(row.modelName, row.quant);
        const fits = [...byModel].map(([m, q]) => `${m} ${q}`).join(", ") || "nothing at this context";
        lines.push(`  ${cls.label.padEnd(6)} ${c.dim}(${cls.example})${c.reset}: at ${contextLabel(r.contexts[nativeIdx]!)} up to ${fits}`);
    });
    lines.push("");
    for (const n of r.notes) lines.push(`${c.dim}${n}${c.reset}`);
    if (r.rows.some((row) => row.sizeSource === "derived")) lines.push(`${c.dim}~ = file size derived, not published.${c.reset}`);
    return lines.join("\n");
}
