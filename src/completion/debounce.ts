/**
 * Adaptive debounce for automatic inline completion, free of `vscode` (unit-tested with a fake clock).
 *
 * While the user types fast, a suggestion requested after each keystroke is thrown away by the next one, so
 * the wait grows with typing speed: an EWMA of the intervals between keystrokes (pauses longer than `burstMs`
 * are not typing speed and are left out), times `factor`, between the configured minimum and `maxMs`.
 * The wait counts from the last keystroke, and is never shorter than the minimum from now.
 */

export interface DebounceOptions {
    /** Weight of the newest interval in the average (0..1). */
    alpha: number;
    /** Intervals longer than this are pauses, not typing. */
    burstMs: number;
    /** Wait this multiple of the typical interval, so a suggestion comes once the user really paused. */
    factor: number;
    /** Upper bound of the wait (unless the configured minimum is larger). */
    maxMs: number;
}

export const DEFAULT_DEBOUNCE: DebounceOptions = { alpha: 0.3, burstMs: 600, factor: 1.5, maxMs: 350 };

export class AdaptiveDebounce {
    private lastKeystroke: number | undefined;
    private ewma: number | undefined;
    private readonly options: DebounceOptions;

    constructor(options: Partial<DebounceOptions> = {}) {
        this.options = { ...DEFAULT_DEBOUNCE, ...options };
    }

    /** A keystroke (typing change in the active editor) at time `now`, ms. */
    recordKeystroke(now: number): void {
        if (this.lastKeystroke !== undefined) {
            const dt = now - this.lastKeystroke;
            if (dt > 0 && dt <= this.options.burstMs) {
                this.ewma = this.ewma === undefined ? dt : this.options.alpha * dt + (1 - this.options.alpha) * this.ewma;
            }
        }
        this.lastKeystroke = now;
    }

    /** The typical interval between keystrokes while typing, ms (undefined until two keystrokes were seen). */
    get typingIntervalMs(): number | undefined {
        return this.ewma;
    }

    /** How long after a keystroke to wait before asking, for a configured minimum of `minMs`. */
    targetDelay(minMs: number): number {
        const min = Math.max(0, minMs);
        if (this.ewma === undefined) return min;
        return Math.round(Math.min(Math.max(min, this.options.maxMs), Math.max(min, this.ewma * this.options.factor)));
    }

    /** How long to wait from `now` before asking: the target counted from the last keystroke, at least `minMs`. */
    delay(now: number, minMs: number): number {
        const min = Math.max(0, minMs);
        const since = this.lastKeystroke === undefined ? Infinity : now - this.lastKeystroke;
        return Math.max(min, this.targetDelay(min) - since);
    }
}

/** The shape of one text change that matters here (vscode.TextDocumentContentChangeEvent fits it). */
export interface ChangeLike {
    readonly text: string;
    readonly rangeLength: number;
}

/**
 * Whether a document change looks like typing (one small insertion or deletion per cursor), as opposed to a
 * paste, a format, an undo/redo (`reason` set) or an edit applied by a tool.
 */
export function isTypingChange(changes: readonly ChangeLike[], reason?: unknown): boolean {
    if (reason !== undefined || changes.length === 0) return false;
    return changes.every((c) => c.text.length <= 2 && c.rangeLength <= 1 && !(c.text.length === 0 && c.rangeLength === 0));
}

/** The shape of a cancellation token (vscode.CancellationToken fits it). */
export interface TokenLike {
    readonly isCancellationRequested: boolean;
    onCancellationRequested(listener: () => unknown): { dispose(): unknown };
}

/** Waits `ms`; resolves true when the time passed, false as soon as `token` is cancelled. */
export function sleep(ms: number, token: TokenLike): Promise<boolean> {
    if (token.isCancellationRequested) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
        let sub: { dispose(): unknown } | undefined;
        const timer = setTimeout(() => {
            sub?.dispose();
            resolve(true);
        }, ms);
        sub = token.onCancellationRequested(() => {
            clearTimeout(timer);
            sub?.dispose();
            resolve(false);
        });
    });
}
