/**
 * "GLM-4: Show GPU Requirements" in a real VS Code (code-server + Chromium): the panel renders the server's
 * requirements (the GLM-4 catalog x contexts) with the chart, the table lists exactly one recommended row,
 * coloured cells and the GPU classes; a screenshot goes to test-results/planner-gpu-requirements.png. Then
 * "GLM-4: Choose Model for This GPU" offers the recommendation first.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FrameLocator } from "playwright-core";
import { startE2eSession, type E2eSession } from "./support/session";
import { failureStep, webviewFrame } from "./support/steps";

let s: E2eSession;

/** The planner panel's content frame (code-server nests the webview's document in an inner iframe). */
function plannerFrame(): FrameLocator {
    return webviewFrame(s, "last");
}

function step(name: string, body: () => Promise<void>): Promise<void> {
    return failureStep(s, "planner", plannerFrame(), name, body);
}

before(async () => {
    s = await startE2eSession({ name: "planner" });
}, { timeout: 240_000 });

after(async () => {
    await s?.dispose();
});

test("Show GPU Requirements: chart, table with the recommended row, GPU classes; screenshot", { timeout: 180_000 }, () => step("requirements", async () => {
    // the extension is up (its status bar item shows the model) before the palette is used
    await s.wb.statusBarItem("glm4-tiny-random").waitFor({ state: "visible", timeout: 90_000 });
    await s.wb.runCommand("GLM-4: Show GPU Requirements");
    const frame = plannerFrame();
    const table = frame.locator("table#requirements");
    await table.waitFor({ state: "visible", timeout: 90_000 });

    const rows = table.locator("tbody tr");
    assert.equal(await rows.count(), 22);
    const recommended = table.locator('tbody tr[data-recommended="true"]');
    assert.equal(await recommended.count(), 1);
    const recText = await recommended.innerText();
    assert.match(recText, /GLM-4-(32B|9B)-0414/);
    assert.match(recText, /Q4_K_M/);
    assert.match(await frame.locator("#recommendation").innerText(), /^Recommended: /);
    assert.match(await frame.locator("#gpu").innerText(), /GiB/);
    assert.equal(await frame.locator("svg.chart polyline").count() > 2, true);
    assert.ok(await table.locator("td.cell").count() >= 22 * 6);
    assert.equal(await frame.locator("table#classes tbody tr").count(), 6);

    const shot = await s.wb.screenshot("planner-gpu-requirements");
    assert.match(shot, /test-results\/planner-gpu-requirements\.png$/);
    await recommended.scrollIntoViewIfNeeded();
    await s.wb.screenshot("planner-gpu-requirements-table");
}));

test("Choose Model for This GPU lists the recommendation first", { timeout: 120_000 }, () => step("choose", async () => {
    const page = s.wb.page;
    const rows = page.locator(".quick-input-widget .monaco-list-row");
    // The palette and the command's quick pick share one quick-input widget; on a loaded machine the palette's
    // closing can hide the freshly shown pick (seen once in CI). Then the command is run a second time.
    for (let attempt = 1; ; attempt++) {
        await s.wb.runCommand("GLM-4: Choose Model for This GPU");
        try {
            await rows.first().waitFor({ state: "visible", timeout: 30_000 });
            break;
        } catch (e) {
            if (attempt === 2) throw e;
            await page.keyboard.press("Escape");
        }
    }
    const first = await rows.first().innerText();
    assert.match(first, /GLM-4-(32B|9B)-0414 Q4_K_M/);
    assert.ok(await rows.count() >= 4);
    await s.wb.screenshot("planner-choose-model");
    await page.keyboard.press("Escape");
}));
