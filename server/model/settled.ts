/** Waiting for a promise to settle without waiting past an abort. */

/** Resolves true once `p` settled, or false as soon as `signal` aborts. */
export function settledUnlessAborted(p: Promise<unknown>, signal: AbortSignal | undefined): Promise<boolean> {
    if (!signal) return p.then(() => true, () => true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
        const onAbort = (): void => resolve(false);
        signal.addEventListener("abort", onAbort, { once: true });
        p.then(() => true, () => true).then((v) => {
            signal.removeEventListener("abort", onAbort);
            resolve(v);
        });
    });
}
