/**
 * The chat's bad-input paths in a real VS Code (code-server + Chromium), with no model configured: an empty
 * message sends nothing; a 1 MB paste is cut to the message limit with a notice; a message that cannot be
 * answered (no model) shows an error with Retry and Show logs and goes back into the input box; the
 * "Add Selection to Chat" command attaches the editor selection, and so does `/explain` by itself.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FrameLocator } from "playwright-core";
import { MAX_INPUT_CHARS } from "../../server/protocol/chatConstants";
import { startE2eSession, type E2eSession } from "./support/session";
import { failureStep, webviewFrame } from "./support/steps";

let s: E2eSession;

function chatFrame(): FrameLocator {
    return webviewFrame(s);
}

function step(name: string, body: () => Promise<void>): Promise<void> {
    return failureStep(s, "chat-input", chatFrame(), name, body);
}

before(async () => {
    s = await startE2eSession({ name: "chat-input", settings: { "glm4.model": "" } });
}, { timeout: 240_000 });

after(async () => {
    await s?.dispose();
});

test("an empty message sends nothing", { timeout: 120_000 }, () => step("empty", async () => {
    await s.wb.openFile("src/answer.ts");
    await s.wb.openActivity("GLM-4");
    const frame = chatFrame();
    const input = frame.locator("textarea.input");
    await input.waitFor({ state: "visible", timeout: 60_000 });
    await input.fill("   \n  ");
    await input.press("Enter");
    assert.equal(await frame.locator("button.send").isDisabled(), true, "Send is disabled for a blank message");
    assert.equal(await frame.locator(".message").count(), 0, "no message was sent");
    await frame.locator(".empty-state").waitFor({ state: "visible" });
}));

test("a 1 MB paste is cut to the message limit, with a notice", { timeout: 60_000 }, () => step("paste", async () => {
    const frame = chatFrame();
    const input = frame.locator("textarea.input");
    await input.fill("");
    await input.evaluate((el, size) => {
        const data = new DataTransfer();
        data.setData("text/plain", "x".repeat(size));
        el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, 1_000_000);
    await frame.locator(".composer-notice.warning", { hasText: "only the first 100,000 were kept" }).waitFor({ state: "visible", timeout: 10_000 });
    assert.equal((await input.inputValue()).length, MAX_INPUT_CHARS);
    await s.wb.screenshot("chat-input-paste");
    await input.fill("");
}));

test("without a model, a message shows an error with Retry and Show logs and returns to the input", { timeout: 90_000 }, () => step("no-model", async () => {
    const frame = chatFrame();
    const input = frame.locator("textarea.input");
    await input.fill("Is anyone there?");
    await input.press("Enter");
    const error = frame.locator(".error", { hasText: "No model is configured" });
    await error.waitFor({ state: "visible", timeout: 60_000 });
    assert.deepEqual(await error.locator("button").allInnerTexts(), ["Retry", "Show logs"]);
    assert.equal(await input.inputValue(), "Is anyone there?", "the typed message is kept");
    assert.equal(await frame.locator(".message.user").count(), 0, "a message the server did not store is not shown as sent");
    await s.wb.screenshot("chat-input-no-model");

    // Retry tries again (and fails the same way, the message still kept).
    await error.locator("button", { hasText: "Retry" }).click();
    await frame.locator(".error", { hasText: "No model is configured" }).waitFor({ state: "visible", timeout: 60_000 });
    assert.equal(await input.inputValue(), "Is anyone there?");
    await frame.locator(".error button", { hasText: "Show logs" }).click();
    await s.wb.page.locator(".part.panel .monaco-editor, .part.panel .output-view").first().waitFor({ state: "visible", timeout: 15_000 });
}));

test("Add Selection to Chat attaches the editor selection as a chip", { timeout: 60_000 }, () => step("add-selection", async () => {
    const { wb } = s;
    // answer.ts is still the active editor (the side bar shows the chat, not the explorer).
    await wb.selectLines(3, 5);
    const page = wb.page;
    await wb.runCommand("GLM-4: Add Selection to Chat");
    const chip = chatFrame().locator(".composer .chip.selection", { hasText: "src/answer.ts:3-5" });
    await chip.waitFor({ state: "visible", timeout: 30_000 });
    await wb.screenshot("chat-input-selection");
    await chip.locator("button.chip-remove").click();
    await chip.waitFor({ state: "detached" });
}));

test("/explain acts on the editor selection", { timeout: 60_000 }, () => step("slash", async () => {
    const frame = chatFrame();
    const input = frame.locator("textarea.input");
    const errors = await frame.locator(".error").count();
    await input.fill("/explain");
    await input.press("Enter");
    // No model: the turn fails, and the message comes back with the selection it attached by itself.
    await frame.locator(".error").nth(errors).waitFor({ state: "visible", timeout: 60_000 });
    await frame.locator(".composer .chip.selection", { hasText: "src/answer.ts:3-5" }).waitFor({ state: "visible", timeout: 10_000 });
    assert.equal((await input.inputValue()).trim(), "/explain");
}));
