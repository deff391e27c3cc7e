/** Small statistics helpers for the benchmark (pure). */

/** The p-th percentile (0..100) of `values`, linear interpolation between closest ranks; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
    if (values.length === 0) return Number.NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
    const lo = Math.floor(rank);
    const hi = Math.ceil(rank);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Rounds for display/JSON (keeps NaN). */
export function round(value: number, digits = 2): number {
    if (!Number.isFinite(value)) return value;
    const f = 10 ** digits;
    return Math.round(value * f) / f;
}

/** A compact summary of samples, for the JSON results. */
export interface Summary {
    n: number;
    p50: number;
    p95: number;
    min: number;
    max: number;
}

export function summarize(values: readonly number[]): Summary {
    return {
        n: values.length,
        p50: round(percentile(values, 50), 3),
        p95: round(percentile(values, 95), 3),
        min: round(values.length ? Math.min(...values) : Number.NaN, 3),
        max: round(values.length ? Math.max(...values) : Number.NaN, 3),
    };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
