/** The benchmark's one table (stdout) and its JSON twin (bench/results/<timestamp>.json and latest.json). */
import * as fs from "node:fs";
import * as path from "node:path";
import { round } from "./stats";

export interface Target {
    readonly op: "<=" | ">=";
    readonly value: number;
}

export interface Row {
    /** "Issue 2" / "Issue 3". */
    readonly section: string;
    readonly metric: string;
    readonly value: number;
    readonly unit: string;
    readonly target?: Target;
    /** Sample counts and context, shown after the metric. */
    readonly note?: string;
}

export interface ScoredRow extends Row {
    /** value / target (NaN without a target). */
    readonly ratio: number;
    /** undefined without a target. */
    readonly pass: boolean | undefined;
}

export function score(row: Row): ScoredRow {
    if (!row.target) return { ...row, ratio: Number.NaN, pass: undefined };
    const ratio = row.value / row.target.value;
    const pass = Number.isFinite(row.value) && (row.target.op === "<=" ? row.value <= row.target.value : row.value >= row.target.value);
    return { ...row, ratio, pass };
}

const fmt = (v: number, unit: string): string => {
    if (!Number.isFinite(v)) return "n/a";
    const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
    return `${v.toFixed(digits)}${unit === "%" ? "%" : unit ? ` ${unit}` : ""}`;
};

export function renderTable(rows: readonly ScoredRow[]): string {
    const header = ["", "metric", "value", "target", "ratio", "pass"];
    const lines = rows.map((r) => [
        r.section,
        r.note ? `${r.metric} (${r.note})` : r.metric,
        fmt(r.value, r.unit),
        r.target ? `${r.target.op} ${fmt(r.target.value, r.unit)}` : "-",
        Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : "-",
        r.pass === undefined ? "-" : r.pass ? "PASS" : "MISS",
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    const right = new Set([2, 3, 4]);
    const line = (cells: string[]): string => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
    const sep = widths.map((w) => "-".repeat(w)).join("  ");
    return [line(header), sep, ...lines.map(line)].join("\n");
}

/** Writes `<dir>/<timestamp>.json` and `<dir>/latest.json`; returns the timestamped path. */
export function writeResults(dir: string, data: { rows: readonly ScoredRow[] } & Record<string, unknown>): string {
    fs.mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const json = JSON.stringify({
        ...data,
        rows: data.rows.map((r) => ({ ...r, value: round(r.value, 3), ratio: Number.isFinite(r.ratio) ? round(r.ratio, 3) : null })),
    }, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2);
    const file = path.join(dir, `${stamp}.json`);
    fs.writeFileSync(file, json + "\n");
    fs.writeFileSync(path.join(dir, "latest.json"), json + "\n");
    return file;
}
