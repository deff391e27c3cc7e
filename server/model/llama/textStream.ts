/**
 * Streaming text with stop strings (pure, no node-llama-cpp).
 *
 * `StopStringStream` receives decoded text in pieces and forwards it to `onText` except for a tail that may
 * still turn out to be the start of a stop string: that tail is withheld until it is known not to be one
 * (the next pieces rule it out, or generation ends). When a stop string appears, everything from it on is
 * dropped. Invariant: the concatenation of all deltas passed to `onText` equals `text` once `finish()` ran.
 *
 * `Utf8TokenDecoder` turns tokens into text without splitting a UTF-8 character: bytes of one character may
 * arrive in several tokens; a piece that ends in an incomplete sequence (decoded as U+FFFD) is held back until
 * the following tokens complete it (at most 4 tokens, the longest UTF-8 sequence).
 */

export class StopStringStream {
    private full = "";
    private emitted = 0;
    private stoppedAt = -1;
    private stopString: string | undefined;
    private readonly stops: readonly string[];

    constructor(stops: readonly string[] | undefined, private readonly onText: ((delta: string) => void) | undefined) {
        this.stops = (stops ?? []).filter((s) => s.length > 0);
    }

    /** The text so far (withheld tail included), without the stop string once one matched. */
    get text(): string {
        return this.stoppedAt >= 0 ? this.full.slice(0, this.stoppedAt) : this.full;
    }

    /** The stop string that matched, if any. */
    get stoppedBy(): string | undefined {
        return this.stopString;
    }

    /** Appends decoded text. Returns the stop string if one now appears (the stream is then closed). */
    push(piece: string): string | undefined {
        if (this.stopString !== undefined || !piece) return this.stopString;
        this.full += piece;
        // A stop string cannot start before `emitted`: the emitted text had no suffix that was a stop prefix.
        let at = -1;
        let which: string | undefined;
        for (const s of this.stops) {
            const i = this.full.indexOf(s, this.emitted);
            if (i >= 0 && (at < 0 || i < at)) { at = i; which = s; }
        }
        if (which !== undefined) {
            this.stoppedAt = at;
            this.stopString = which;
            this.emit(at);
            return which;
        }
        this.emit(this.full.length - this.withheldLength());
        return undefined;
    }

    /** Generation ended: release the withheld tail (it was not a stop string). */
    finish(): void {
        if (this.stopString === undefined) this.emit(this.full.length);
    }

    /** Length of the longest suffix of `full` (after `emitted`) that is a proper prefix of a stop string. */
    private withheldLength(): number {
        let best = 0;
        const tailStart = this.emitted;
        for (const s of this.stops) {
            const max = Math.min(s.length - 1, this.full.length - tailStart);
            for (let n = max; n > best; n--) {
                if (this.full.endsWith(s.slice(0, n))) { best = n; break; }
            }
        }
        return best;
    }

    private emit(upTo: number): void {
        if (upTo <= this.emitted) return;
        const delta = this.full.slice(this.emitted, upTo);
        this.emitted = upTo;
        this.onText?.(delta);
    }
}

const REPLACEMENT = "\uFFFD";
const MAX_UTF8_TOKENS = 4;

export class Utf8TokenDecoder<T> {
    private pending: T[] = [];
    private readonly context: T[] = [];

    /** `detokenize(tokens, lastTokens)` decodes tokens as one byte string, given the tokens that came before. */
    constructor(private readonly detokenize: (tokens: readonly T[], lastTokens: readonly T[]) => string) {}

    /** Adds a token; returns the text that is now complete ("" while a character is still incomplete). */
    push(token: T): string {
        this.pending.push(token);
        const text = this.detokenize(this.pending, this.context);
        if (text.endsWith(REPLACEMENT) && this.pending.length < MAX_UTF8_TOKENS) return "";
        this.commit();
        return text;
    }

    /** Whatever is still held back (generation ended), decoded as it is. */
    flush(): string {
        if (this.pending.length === 0) return "";
        const text = this.detokenize(this.pending, this.context);
        this.commit();
        return text;
    }

    private commit(): void {
        this.context.push(...this.pending);
        if (this.context.length > 8) this.context.splice(0, this.context.length - 8);
        this.pending = [];
    }
}
