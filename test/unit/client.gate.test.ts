import { test } from "node:test";
import assert from "node:assert/strict";
import { completionSkipReason, toggleLanguage } from "../../src/completion/gate";

const on = { enabled: true, disabledLanguages: ["markdown"] };

test("inline completion is asked for in enabled languages when the model is ready, idle, unloaded or unknown", () => {
    for (const state of ["ready", "idle", "unloaded", undefined] as const) {
        assert.equal(completionSkipReason(on, "typescript", state), undefined, String(state));
    }
});

test("inline completion is skipped when turned off, in disabled languages, and while the model loads or failed", () => {
    assert.match(completionSkipReason({ ...on, enabled: false }, "typescript", "ready")!, /turned off/);
    assert.match(completionSkipReason(on, "markdown", "ready")!, /off for markdown/);
    assert.match(completionSkipReason(on, "typescript", "loading")!, /loading/);
    assert.match(completionSkipReason(on, "typescript", "downloading")!, /downloading/);
    assert.match(completionSkipReason(on, "typescript", "error")!, /failed/);
});

test("toggleLanguage adds and removes a language and says the new state", () => {
    assert.deepEqual(toggleLanguage(["markdown"], "python"), { disabledLanguages: ["markdown", "python"], enabled: false });
    assert.deepEqual(toggleLanguage(["markdown", "python"], "python"), { disabledLanguages: ["markdown"], enabled: true });
});
