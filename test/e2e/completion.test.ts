/**
 * Inline completion in a real VS Code (code-server + Chromium): the packaged extension starts our language
 * server on the tiny GLM-4 fixture model; typing in a TypeScript file shows ghost text that the server
 * generated, Tab accepts it, and the saved file holds it.
 *
 * The tiny model has random weights, so the server is told (GLM4_COMPLETION_TEST_GRAMMAR, read by
 * server/completion) to constrain sampling with a grammar that accepts exactly one string: the text still goes
 * through the real engine (tokenizer, sampler, stop rules, post-processing, LSP, VS Code's inline provider).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, test } from "node:test";
import { startE2eSession, type E2eSession } from "./support/session";
import { FORCED_COMPLETION } from "./support/settings";

const { typed: TYPED, suggestion: SUGGESTION } = FORCED_COMPLETION;

let s: E2eSession;

before(async () => {
    s = await startE2eSession({ name: "completion", env: FORCED_COMPLETION.env });
}, { timeout: 240_000 });

after(async () => {
    await s?.dispose();
});

test("the status bar shows the tiny model ready", { timeout: 90_000 }, async () => {
    const item = s.wb.statusBarItem("glm4-tiny-random");
    try {
        await item.waitFor({ state: "visible", timeout: 60_000 });
    } catch (e) {
        await s.wb.screenshot("completion-status-failed");
        throw new Error(`model not ready: status bar "${await s.wb.statusBarText()}", notifications ${JSON.stringify(await s.wb.notifications())}\n${(e as Error).message}`);
    }
    assert.equal(await item.locator(".codicon-sparkle").count(), 1, "ready with inline completion on shows the sparkle icon");
});

test("ghost text from our server is accepted with Tab and saved", { timeout: 120_000 }, async () => {
    const { wb } = s;
    await wb.openFile("src/answer.ts");
    await wb.goToEnd();
    await wb.type(TYPED);
    let ghost: string;
    try {
        ghost = await wb.waitForGhostText(45_000);
    } catch (e) {
        await wb.screenshot("completion-failed");
        throw new Error(`no ghost text: status bar "${await wb.statusBarText()}"\n${(e as Error).message}`);
    }
    assert.equal(ghost.replace(/\u00a0/g, " ").trim(), SUGGESTION);
    await wb.screenshot("completion");

    await wb.acceptGhostText();
    await wb.save();
    const text = fs.readFileSync(s.file("src/answer.ts"), "utf8");
    assert.ok(text.split("\n").includes(TYPED + SUGGESTION), `the saved file has "${TYPED + SUGGESTION}" on a line:\n${text}`);
    assert.ok(text.startsWith("// Fixture for the end-to-end tests"), "the rest of the file is unchanged");
});

test("a palette command turns inline completion off and the status bar shows it", { timeout: 60_000 }, async () => {
    const { wb } = s;
    const item = wb.statusBarItem("glm4-tiny-random");
    await wb.runCommand("GLM-4: Toggle Inline Completion");
    await item.locator(".codicon-circle-slash").waitFor({ state: "visible", timeout: 15_000 });
    const settingsFile = `${s.server.userDataDir}/User/settings.json`;
    assert.equal((JSON.parse(fs.readFileSync(settingsFile, "utf8")) as Record<string, unknown>)["glm4.completion.enabled"], false);
    await wb.screenshot("completion-off");

    await wb.runCommand("GLM-4: Toggle Inline Completion");
    await item.locator(".codicon-sparkle").waitFor({ state: "visible", timeout: 15_000 });
});
