/**
 * Pieces of the GPU bench measurement (measure.ts) that hold no run state: config syntax, JSON type, timeouts,
 * nvidia-smi probes, synthetic prompts, prompt / decode timing and the summary table.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp";

export interface ConfigSpec { id: string; contextSize: number; kv: "f16" | "q8_0"; yarn: number | null; deep: boolean; costS: number }

export function parseConfigs(spec: string): ConfigSpec[] {
    return spec.split(",").filter(Boolean).map((s) => {
        const deep = s.endsWith("+deep");
        const parts = (deep ? s.slice(0, -5) : s).split(":");
        const contextSize = Number(parts[0]);
        if (!Number.isInteger(contextSize) || contextSize <= 0) throw new Error(`bad config ${s}`);
        const kv = parts.includes("q8_0") ? "q8_0" : "f16";
        const yarnPart = parts.find((p) => p.startsWith("yarn"));
        const yarn = yarnPart ? Number(yarnPart.slice(4) || 4) : null;
        const costS = 10 + contextSize / 8192 + (deep ? 20 : 0) + (yarn ? 40 : 0);
        return { id: s, contextSize, kv, yarn, deep, costS };
    });
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json | undefined };

export function readJsonFile(file: string | undefined): Json | undefined {
    if (!file || !fs.existsSync(file)) return undefined;
    try { return JSON.parse(fs.readFileSync(file, "utf8")) as Json; } catch (e) { return `unreadable: ${String(e)}`; }
}

export const MiB = (bytes: number): number => Math.round(bytes / 2 ** 20);

export async function withTimeout<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label}: timed out after ${Math.round(ms / 1000)} s`)), Math.max(1, ms));
    });
    try { return await Promise.race([p, t]); } finally { clearTimeout(timer); }
}

export const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function nvidiaSmi(args: string[]): string | null {
    try { return execFileSync("nvidia-smi", args, { encoding: "utf8", timeout: 15_000, stdio: ["ignore", "pipe", "ignore"] }).trim(); }
    catch { return null; }
}

export function smiMemory(): { usedMiB: number; totalMiB: number; processMiB: number | null } | null {
    const q = nvidiaSmi(["--query-gpu=memory.used,memory.total", "--format=csv,noheader,nounits"]);
    if (!q) return null;
    const [used, total] = q.split("\n")[0]!.split(",").map((s) => Number(s.trim()));
    const apps = nvidiaSmi(["--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"]) ?? "";
    let processMiB: number | null = null;
    for (const line of apps.split("\n")) {
        const [pid, mem] = line.split(",").map((s) => Number(s.trim()));
        if (pid === process.pid && Number.isFinite(mem)) processMiB = mem!;
    }
    return { usedMiB: used!, totalMiB: total!, processMiB };
}

export function smiUsed(s: { [k: string]: Json }): number | null {
    const v = s.nvidiaSmi as { usedMiB?: number } | null;
    return v?.usedMiB ?? null;
}

export function nlcUsed(s: { [k: string]: Json }): number | null {
    const v = s.nodeLlamaCpp as { usedMiB?: number } | null;
    return typeof v === "object" && v !== null ? v.usedMiB ?? null : null;
}

export const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

/** Deterministic pseudo-random byte-level tokens (ids 0-255 are the GPT-2 byte tokens, type NORMAL). */
export function promptOf(n: number, seed: number): Token[] {
    let a = seed >>> 0;
    const out: Token[] = [];
    for (let i = 0; i < n; i++) {
        a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
        out.push(((a >>> 8) % 256) as Token);
    }
    return out;
}

export async function decodeRun(model: LlamaModel, ctx: LlamaContext, seq: ReturnType<LlamaContext["getSequence"]>, first: Token, n: number) {
    const stamps: number[] = [];
    let eog = 0;
    const t0 = performance.now();
    for await (const token of seq.evaluate([first], { yieldEogToken: true })) {
        stamps.push(performance.now());
        if (model.isEogToken(token)) eog++;
        if (stamps.length >= n) break;
    }
    const totalMs = stamps.length ? stamps[stamps.length - 1]! - t0 : 0;
    const steps = stamps.map((s, i) => s - (i === 0 ? t0 : stamps[i - 1]!)).sort((x, y) => x - y);
    const steady = stamps.length > 1 ? (stamps.length - 1) / ((stamps[stamps.length - 1]! - stamps[0]!) / 1000) : null;
    return {
        tokens: stamps.length,
        totalMs: +totalMs.toFixed(1),
        tokPerS: stamps.length ? +(stamps.length / (totalMs / 1000)).toFixed(2) : null,
        steadyTokPerS: steady === null ? null : +steady.toFixed(2),
        firstTokenMs: stamps.length ? +(stamps[0]! - t0).toFixed(2) : null,
        medianTokenMs: steps.length ? +steps[Math.floor(steps.length / 2)]!.toFixed(2) : null,
        eogTokens: eog,
        contextTokensAfter: seq.nextTokenIndex,
        ctxSize: ctx.contextSize,
    };
}

export async function promptRun(seq: ReturnType<LlamaContext["getSequence"]>, tokens: Token[]) {
    const t0 = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(tokens);
    const ms = performance.now() - t0;
    return { tokens: tokens.length, ms: +ms.toFixed(1), tokPerS: +(tokens.length / (ms / 1000)).toFixed(1), startIndex: seq.nextTokenIndex - tokens.length };
}

export function summaryTable(configs: Json[]): string {
    const rows = [["config", "ctx", "kv", "VRAM ctx MiB (smi/nlc)", "est v1/v2 MiB", "prompt tok/s", "decode tok/s", "note"]];
    for (const r of configs as { [k: string]: Json }[]) {
        const v = r.vramContextMiB as { nvidiaSmi: number | null; nodeLlamaCpp: number | null } | undefined;
        const e = r.estimate as { v1?: { gpuVramMiB: number } | string; v2?: { gpuVramMiB: number } | string } | undefined;
        const est = (x: { gpuVramMiB: number } | string | undefined): string => (typeof x === "object" ? String(x.gpuVramMiB) : "-");
        const p = r.prompt as { tokPerS: number } | undefined;
        const d = r.decode as { steadyTokPerS: number | null } | undefined;
        const deep = r.deep as { decode: { steadyTokPerS: number | null; contextTokensAfter: number } | null } | undefined;
        rows.push([
            String(r.id), String(r.actualContextSize ?? r.contextSize), String(r.kv),
            v ? `${v.nvidiaSmi ?? "-"}/${v.nodeLlamaCpp ?? "-"}` : "-",
            e ? `${est(e.v1)}/${est(e.v2)}` : "-",
            p ? String(p.tokPerS) : "-",
            d ? String(d.steadyTokPerS) : "-",
            r.error ? `ERROR ${String(r.error).slice(0, 60)}` : r.skipped ? `skipped: ${String(r.skipped)}`
                : deep?.decode ? `deep ${deep.decode.contextTokensAfter} tok: ${deep.decode.steadyTokPerS} tok/s` : "",
        ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ")).join("\n");
}
