/**
 * Server health bookkeeping, free of `vscode` so it is unit-tested: how many automatic restarts are still
 * allowed (`RestartPolicy`), and why the server died, in one sentence (`CrashLog`).
 */

/** Allows at most `maxRestarts` automatic restarts within a sliding `windowMs`; the next crash keeps the server down. */
export class RestartPolicy {
    private crashes: number[] = [];

    constructor(readonly maxRestarts = 3, readonly windowMs = 3 * 60_000) {}

    /** Records a crash at `now` and says whether the server may be restarted automatically. */
    recordCrash(now: number): boolean {
        this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
        this.crashes.push(now);
        return this.crashes.length <= this.maxRestarts;
    }

    /** Crashes inside the window ending at `now`. */
    recentCrashes(now: number): number {
        return this.crashes.filter((t) => now - t < this.windowMs).length;
    }

    /** Forget past crashes (a manual restart starts with a clean slate). */
    reset(): void {
        this.crashes = [];
    }
}

const STDERR_LINES = 50;
/** Lines that say what went wrong (Node's "Error: ...", llama.cpp's GGML_ASSERT, C++ aborts, our own log lines). */
const ERRORISH = /\b(error|exception|assert(ion)?|abort(ed)?|terminate|fatal|panic|cannot|could not|failed|out of memory|segmentation)\b/i;
/** Stack frames and source excerpts that follow an error line and say nothing by themselves. */
const NOISE = /^(at\s|\^+$|node:internal|Node\.js v\d|-+$|~+$)/;

/** Collects the last words of a server process: stderr lines, error log lines, exit code/signal. */
export class CrashLog {
    private stderr: string[] = [];
    private lastLogged: string | undefined;
    private exit: { code: number | null; signal: string | null } | undefined;

    noteStderr(line: string): void {
        const t = line.trim();
        if (!t) return;
        this.stderr.push(t);
        if (this.stderr.length > STDERR_LINES) this.stderr.shift();
    }

    /** An error-level message the server or the client logged. */
    noteError(message: string): void {
        const t = message.trim();
        if (t) this.lastLogged = t;
    }

    noteExit(code: number | null, signal: string | null): void {
        this.exit = { code, signal };
    }

    /** Called when a new server process starts: its predecessor's last words no longer apply. */
    clear(): void {
        this.stderr = [];
        this.lastLogged = undefined;
        this.exit = undefined;
    }

    /** The most telling error line seen, if any. */
    lastError(): string | undefined {
        for (let i = this.stderr.length - 1; i >= 0; i--) {
            const line = this.stderr[i]!;
            if (!NOISE.test(line) && ERRORISH.test(line)) return line;
        }
        return this.lastLogged;
    }

    /** One sentence for the user: the last error and how the process ended. */
    reason(): string {
        const parts: string[] = [];
        const error = this.lastError();
        if (error) parts.push(error);
        if (this.exit?.signal) parts.push(`the process was killed by ${this.exit.signal}`);
        else if (this.exit && this.exit.code !== null && this.exit.code !== 0) parts.push(`the process exited with code ${this.exit.code}`);
        return parts.length ? parts.join("; ") : "the server process exited unexpectedly";
    }
}

/** The language server process as the client sees it. */
export type ServerState =
    | { readonly kind: "starting" }
    | { readonly kind: "running" }
    | { readonly kind: "down"; readonly reason: string };

/** The one sentence every "server is down" message starts with. */
export function serverDownMessage(reason: string): string {
    const r = reason.trim().replace(/[.\s]+$/, "");
    return `GLM-4 server is not running: ${r}.`;
}
