import { test } from "node:test";
import assert from "node:assert/strict";
import { AdaptiveDebounce, DEFAULT_DEBOUNCE, isTypingChange, sleep, type TokenLike } from "../../src/completion/debounce";

/** Types `count` keystrokes `intervalMs` apart starting at `start`; returns the time of the last one. */
function type(d: AdaptiveDebounce, start: number, count: number, intervalMs: number): number {
    let t = start;
    for (let i = 0; i < count; i++, t += intervalMs) d.recordKeystroke(t);
    return t - intervalMs;
}

test("debounce waits the configured minimum before anything is known about typing speed", () => {
    const d = new AdaptiveDebounce();
    assert.equal(d.delay(1000, 75), 75);
    d.recordKeystroke(1000);
    assert.equal(d.typingIntervalMs, undefined);
    assert.equal(d.delay(1000, 75), 75);
});

test("debounce waits longer while the user types fast, then a multiple of the typing interval", () => {
    const d = new AdaptiveDebounce();
    const last = type(d, 0, 20, 120);
    assert.equal(Math.round(d.typingIntervalMs!), 120);
    // 1.5 x 120 ms, counted from the last keystroke.
    assert.equal(d.delay(last, 75), 180);
    assert.equal(d.delay(last + 100, 75), 80);
    // Never shorter than the minimum from now.
    assert.equal(d.delay(last + 170, 75), 75);
});

test("debounce is capped, and the configured minimum wins over the cap", () => {
    const d = new AdaptiveDebounce();
    const last = type(d, 0, 20, 500);
    assert.equal(d.delay(last, 75), DEFAULT_DEBOUNCE.maxMs);
    assert.equal(d.delay(last, 800), 800);
});

test("debounce leaves pauses out of the typing speed", () => {
    const d = new AdaptiveDebounce();
    const last = type(d, 0, 10, 100);
    d.recordKeystroke(last + 5000); // a pause, then one keystroke
    assert.equal(Math.round(d.typingIntervalMs!), 100);
    assert.equal(d.delay(last + 5000, 50), 150);
});

test("debounce follows a change of typing speed through the moving average", () => {
    const d = new AdaptiveDebounce();
    let last = type(d, 0, 20, 80);
    const fast = d.delay(last, 0);
    last = type(d, last + 300, 20, 300);
    const slow = d.delay(last, 0);
    assert.equal(fast, 120);
    assert.ok(slow > fast, `slow typing (${slow}) waits longer than fast typing (${fast})`);
    assert.ok(slow <= DEFAULT_DEBOUNCE.maxMs);
});

test("debounce: a negative minimum counts as zero", () => {
    assert.equal(new AdaptiveDebounce().delay(0, -5), 0);
});

test("isTypingChange accepts keystrokes and auto-closed pairs, rejects pastes, undo and no-ops", () => {
    assert.equal(isTypingChange([{ text: "a", rangeLength: 0 }]), true);
    assert.equal(isTypingChange([{ text: "()", rangeLength: 0 }]), true);
    assert.equal(isTypingChange([{ text: "", rangeLength: 1 }]), true, "backspace");
    assert.equal(isTypingChange([{ text: "a", rangeLength: 0 }, { text: "a", rangeLength: 0 }]), true, "multi-cursor");
    assert.equal(isTypingChange([{ text: "const x = 1;\n", rangeLength: 0 }]), false, "paste");
    assert.equal(isTypingChange([{ text: "", rangeLength: 40 }]), false, "deleting a selection");
    assert.equal(isTypingChange([{ text: "a", rangeLength: 0 }], 1), false, "undo/redo");
    assert.equal(isTypingChange([]), false);
    assert.equal(isTypingChange([{ text: "", rangeLength: 0 }]), false);
});

class FakeToken implements TokenLike {
    isCancellationRequested = false;
    private listeners = new Set<() => unknown>();
    disposed = 0;
    onCancellationRequested(listener: () => unknown) {
        this.listeners.add(listener);
        return { dispose: () => { this.disposed++; this.listeners.delete(listener); } };
    }
    cancel(): void {
        this.isCancellationRequested = true;
        for (const l of [...this.listeners]) l();
    }
}

test("sleep resolves true after the time and lets go of the token", async () => {
    const token = new FakeToken();
    assert.equal(await sleep(5, token), true);
    assert.equal(token.disposed, 1);
});

test("sleep resolves false as soon as the token is cancelled", async () => {
    const token = new FakeToken();
    const p = sleep(60_000, token);
    token.cancel();
    assert.equal(await p, false);
});

test("sleep on an already cancelled token resolves false; zero wait resolves true", async () => {
    const token = new FakeToken();
    assert.equal(await sleep(0, token), true);
    token.cancel();
    assert.equal(await sleep(10, token), false);
});
