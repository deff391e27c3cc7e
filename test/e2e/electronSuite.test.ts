/**
 * The @vscode/test-electron smoke suite (test/electron/suite), run inside code-server's extension host, because
 * Electron VS Code cannot be downloaded here: the extension activates, every contributed command is registered,
 * the language server starts on the tiny model, and a forced inline completion is shown and accepted through the
 * VS Code API (`editor.action.inlineSuggest.trigger` / `commit`).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runSuiteInCodeServer } from "../electron/inCodeServer";

test("the electron smoke suite passes in code-server's extension host", { timeout: 360_000 }, async () => {
    const outcome = await runSuiteInCodeServer();
    assert.ok(outcome.ok, `suite failed:\n${outcome.output}`);
    assert.match(outcome.output, /^\d+ passed, 0 failed/m);
});
