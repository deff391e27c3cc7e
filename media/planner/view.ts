/**
 * The planner page: the detected GPU and the recommendation, the chart, the quantization x context table
 * coloured by fit, the GPU classes, and the notes. DOM calls only (textContent, never innerHTML).
 */
import type { RequirementsCell, RequirementsResult, RequirementsRow } from "../../server/protocol/planner";
import type { FromWebview } from "./protocol";
import { renderChart } from "./chart";
import { contextLabel, gb, gib } from "./format";

type Post = (m: FromWebview) => void;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: { class?: string; text?: string; title?: string; attrs?: Record<string, string> } = {}, ...children: (Node | undefined)[]): HTMLElementTagNameMap[K] {
    const e = document.createElement(tag);
    if (props.class) e.className = props.class;
    if (props.text !== undefined) e.textContent = props.text;
    if (props.title) e.title = props.title;
    for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
    for (const c of children) if (c) e.appendChild(c);
    return e;
}

/** The cell's colour class: fits the detected GPU or not; without a GPU, the smallest class it fits. */
export function cellClass(r: RequirementsResult, cell: RequirementsCell): string {
    if (cell.fitsDetected !== undefined) return cell.fitsDetected ? "fits" : "nofit";
    const i = cell.fitsClasses.indexOf(true);
    return i < 0 ? "none" : `class${i}`;
}

function breakdown(cell: RequirementsCell): string {
    const v = cell.vram, m = cell.ram;
    return [
        `VRAM ${gib(v.total)} GiB = weights ${gib(v.weights)} + KV cache ${gib(v.kvCache)} + compute ${gib(v.compute)} + runtime ${gib(v.overhead)}`,
        `RAM ${gib(m.total)} GiB (token embeddings, logits buffer)`,
        cell.yarnFactor ? `Beyond the native context: YaRN x${cell.yarnFactor}` : "",
    ].filter(Boolean).join("\n");
}

function header(r: RequirementsResult, post: Post, kv: "f16" | "q8_0"): HTMLElement {
    const d = r.detected;
    const gpu = d.gpuType
        ? `${d.names.join(" + ") || d.gpuType} (${d.gpuType}): ${gib(d.vramFree)} of ${gib(d.vramTotal)} GiB free${d.heldByModel ? ` (counting the ${gib(d.heldByModel)} GiB the loaded model holds)` : ""}`
        : `No GPU detected: CPU only, ${gib(d.ramFree)} of ${gib(d.ramTotal)} GiB RAM free, ${d.cpuCores} cores`;
    const select = h("select", { attrs: { id: "kv", "aria-label": "KV cache type" } });
    for (const t of ["f16", "q8_0"] as const) {
        const o = h("option", { text: `KV cache ${t}`, attrs: { value: t } });
        if (t === kv) o.selected = true;
        select.appendChild(o);
    }
    select.addEventListener("change", () => post({ type: "refresh", kvCacheType: select.value === "q8_0" ? "q8_0" : "f16" }));
    const choose = h("button", { text: "Choose model for this GPU…", attrs: { id: "choose" } });
    choose.addEventListener("click", () => post({ type: "chooseModel" }));
    return h("header", {},
        h("h1", { text: "GLM-4: GPU requirements" }),
        h("p", { class: "gpu", text: gpu, attrs: { id: "gpu" } }),
        r.recommended ? h("p", { class: "recommendation", attrs: { id: "recommendation" } }, h("strong", { text: "Recommended: " }), document.createTextNode(r.recommended.explanation)) : undefined,
        h("div", { class: "controls" }, select, choose),
    );
}

function table(r: RequirementsResult, post: Post): HTMLTableElement {
    const t = h("table", { class: "requirements", attrs: { id: "requirements" } });
    const head = h("tr", {}, h("th", { text: "Model" }), h("th", { text: "Quant" }), h("th", { text: "File GB", class: "num" }));
    for (const c of r.contexts) head.appendChild(h("th", { class: "num", text: contextLabel(c) + (c > r.nativeContext ? "*" : ""), title: c > r.nativeContext ? "YaRN beyond the native context" : "" }));
    t.appendChild(h("thead", {}, head));
    const body = h("tbody");
    let lastModel = "";
    for (const row of r.rows) {
        body.appendChild(rowOf(r, row, row.modelName !== lastModel, post));
        lastModel = row.modelName;
    }
    t.appendChild(body);
    return t;
}

function rowOf(r: RequirementsResult, row: RequirementsRow, firstOfModel: boolean, post: Post): HTMLTableRowElement {
    const tr = h("tr", { class: `${row.recommended ? "recommended " : ""}${firstOfModel ? "group" : ""}`.trim(), attrs: { "data-uri": row.uri, "data-recommended": String(row.recommended) } });
    tr.appendChild(h("td", { text: (row.recommended ? "★ " : "") + row.modelName }));
    tr.appendChild(h("td", { text: row.quant }));
    tr.appendChild(h("td", { class: "num", text: gb(row.fileBytes) + (row.sizeSource === "derived" ? "~" : ""), title: row.sizeSource === "derived" ? "derived from llama.cpp's quantization rules" : row.sizeSource }));
    for (const cell of row.cells) {
        const rec = row.recommended && r.recommended?.contextSize === cell.contextSize;
        const td = h("td", { class: `num cell ${cellClass(r, cell)}${rec ? " chosen" : ""}`, text: gib(cell.vram.total), title: breakdown(cell) });
        if (row.sizeSource !== "file") {
            td.tabIndex = 0;
            td.setAttribute("role", "button");
            td.setAttribute("aria-label", `${row.modelName} ${row.quant} at ${contextLabel(cell.contextSize)}: ${gib(cell.vram.total)} GiB. Use this.`);
            const use = (): void => post({ type: "use", uri: row.uri, contextSize: cell.contextSize });
            td.addEventListener("click", use);
            td.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") use(); });
        }
        tr.appendChild(td);
    }
    return tr;
}

function legend(r: RequirementsResult): HTMLElement {
    const items: [string, string][] = r.detected.gpuType
        ? [["fits", "fits this GPU (with headroom)"], ["nofit", "does not fit"]]
        : r.classes.map((c, i) => [`class${i}`, `fits ${c.label}`] as [string, string]).concat([["none", "fits none"]]);
    return h("div", { class: "legend" }, ...items.map(([cls, label]) => h("span", { class: "item" }, h("span", { class: `swatch ${cls}` }), document.createTextNode(label))));
}

function classes(r: RequirementsResult): HTMLTableElement {
    const nativeIdx = Math.max(0, r.contexts.indexOf(r.nativeContext) >= 0 ? r.contexts.indexOf(r.nativeContext) : r.contexts.length - 1);
    const t = h("table", { class: "classes", attrs: { id: "classes" } });
    t.appendChild(h("thead", {}, h("tr", {}, h("th", { text: "GPU class" }), h("th", { text: "Typical card" }), h("th", { text: `Largest that fits at ${contextLabel(r.contexts[nativeIdx]!)}` }))));
    const body = h("tbody");
    r.classes.forEach((c, ci) => {
        const best = new Map<string, string>();
        for (const row of r.rows) if (row.cells[nativeIdx]?.fitsClasses[ci]) best.set(row.modelName, row.quant);
        body.appendChild(h("tr", {}, h("td", { text: c.label }), h("td", { text: c.example }), h("td", { text: [...best].map(([m, q]) => `${m} ${q}`).join(", ") || "—" })));
    });
    t.appendChild(body);
    return t;
}

export function renderPlanner(root: HTMLElement, r: RequirementsResult, post: Post): void {
    root.replaceChildren(
        header(r, post, r.kvCacheType),
        h("section", { class: "chart-box" }, renderChart(r)),
        legend(r),
        h("div", { class: "table-box" }, table(r, post)),
        h("h2", { text: "Common GPUs" }),
        classes(r),
        h("ul", { class: "notes" }, ...r.notes.map((n) => h("li", { text: n })), r.rows.some((x) => x.sizeSource === "derived") ? h("li", { text: "~ file size derived, not published. * YaRN beyond the native context. Click a cell to use that model and context." }) : undefined),
    );
}

export function renderMessage(root: HTMLElement, text: string, cls: string): void {
    root.replaceChildren(h("p", { class: cls, text, attrs: { id: "message" } }));
}
