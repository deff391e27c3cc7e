/**
 * The requirements chart: inline SVG (no library, nothing remote). X = context size (one step per column),
 * Y = required VRAM in GiB; one line per highlighted variant, dashed horizontal lines for the detected GPU's
 * usable VRAM and the common GPU classes. Built with DOM calls (no innerHTML), attributes only (no inline style).
 */
import type { RequirementsResult, RequirementsRow } from "../../server/protocol/planner";
import { contextLabel, GiB } from "./format";

const NS = "http://www.w3.org/2000/svg";

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    parent?.appendChild(e);
    return e;
}

function text(parent: Element, x: number, y: number, s: string, cls: string, anchor = "middle"): void {
    const t = el("text", { x, y, class: cls, "text-anchor": anchor }, parent);
    t.textContent = s;
}

/** Variants drawn as lines: the recommended one and a spread of quantizations. */
export function chartRows(r: RequirementsResult): RequirementsRow[] {
    const wanted = new Set(["Q3_K_M", "Q4_K_M", "Q6_K", "Q8_0"]);
    const rows = r.rows.filter((row) => row.recommended || row.sizeSource === "file" || (wanted.has(row.quant) && (row.modelName.includes("32B") || row.quant === "Q4_K_M" || row.quant === "Q8_0")));
    return rows.slice(0, 8);
}

export function renderChart(r: RequirementsResult): SVGSVGElement {
    const W = 720, H = 320, L = 52, R = 130, T = 16, B = 40;
    const rows = chartRows(r);
    const maxVram = Math.max(...rows.flatMap((row) => row.cells.map((c) => c.vram.total)), r.detected.vramFree, 8 * GiB);
    const top = Math.ceil(maxVram / GiB / 8) * 8;
    const x = (i: number): number => L + (r.contexts.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (r.contexts.length - 1));
    const y = (bytes: number): number => T + (H - T - B) * (1 - bytes / GiB / top);
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": "Required VRAM by context size" });

    for (let g = 0; g <= top; g += top > 48 ? 16 : 8) {
        el("line", { x1: L, x2: W - R, y1: y(g * GiB), y2: y(g * GiB), class: "grid" }, svg);
        text(svg, L - 6, y(g * GiB) + 4, `${g}`, "axis", "end");
    }
    text(svg, 14, T + (H - T - B) / 2, "GiB", "axis", "middle");
    r.contexts.forEach((c, i) => text(svg, x(i), H - B + 18, contextLabel(c) + (c > r.nativeContext ? "*" : ""), "axis"));

    const limit = (bytes: number, label: string, cls: string): void => {
        if (bytes <= 0 || bytes / GiB > top) return;
        el("line", { x1: L, x2: W - R, y1: y(bytes), y2: y(bytes), class: cls }, svg);
        text(svg, L + 4, y(bytes) - 3, label, `${cls}-label`, "start");
    };
    for (const c of r.classes) limit(c.usableBytes, c.label, "class-line");
    if (r.detected.gpuType) limit(r.detected.vramFree - r.headroom, "this GPU", "gpu-line");

    rows.forEach((row, k) => {
        const pts = row.cells.map((c, i) => `${x(i)},${y(c.vram.total)}`).join(" ");
        const g = el("g", { class: `series s${k % 8}${row.recommended ? " recommended" : ""}` }, svg);
        el("polyline", { points: pts, class: "line" }, g);
        row.cells.forEach((c, i) => {
            const dot = el("circle", { cx: x(i), cy: y(c.vram.total), r: row.recommended ? 4 : 3, class: "dot" }, g);
            const title = el("title", {}, dot);
            title.textContent = `${row.modelName} ${row.quant}, ${contextLabel(c.contextSize)}: ${(c.vram.total / GiB).toFixed(1)} GiB`;
        });
        const last = row.cells[row.cells.length - 1];
        if (last) text(g, x(row.cells.length - 1) + 6, y(last.vram.total) + 4, `${row.modelName.replace("GLM-4-", "").replace("-0414", "")} ${row.quant}`, "series-label", "start");
    });
    return svg;
}
