/**
 * The sidebar chat in a real VS Code (code-server + Chromium): open the GLM-4 view, send a message, watch the
 * reply stream in, press Stop, insert the reply's code block into the editor, apply it to a selection through
 * the diff (reject, then accept), reload the window and find the conversation in the history. A remote image in the reply (markdown and raw HTML) must cause no request: a
 * loopback HTTP server counts hits.
 *
 * The tiny model has random weights, so the server is told (GLM4_CHAT_TEST_GRAMMAR, read by server/chat) to
 * constrain sampling with a grammar: a fixed beginning (text, a fenced code block, two remote images), then
 * letters that never end, so the reply streams until Stop. The text still goes through the real engine,
 * streaming, LSP, the relay and the webview's renderer.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { FrameLocator } from "playwright-core";
import { startE2eSession, type E2eSession } from "./support/session";
import { failureStep, webviewFrame } from "./support/steps";

const CODE = 'export const greeting = "hi";';
const QUESTION = "Show me a greeting constant";

let s: E2eSession;
let imageServer: http.Server;
const hits: string[] = [];

function chatGrammar(port: number): string {
    const head = `\nHere is the code:\n\n\`\`\`ts\n${CODE}\n\`\`\`\n\n![logo](http://127.0.0.1:${port}/markdown.png)\n\n`
        + `<img src="http://127.0.0.1:${port}/raw.png" alt="raw">\n\nAnd some more words: `;
    return `root ::= ${JSON.stringify(head)} tail\ntail ::= [a-z ] tail`;
}

/** The chat webview's content frame (code-server nests the view's document in an inner iframe). */
function chatFrame(): FrameLocator {
    return webviewFrame(s);
}

/** Runs a test body; on failure saves a screenshot and says what the page showed. */
function step(name: string, body: () => Promise<void>): Promise<void> {
    return failureStep(s, "chat", chatFrame(), name, body);
}

async function openChat(): Promise<FrameLocator> {
    await s.wb.openActivity("GLM-4");
    const frame = chatFrame();
    await frame.locator("textarea.input").waitFor({ state: "visible", timeout: 60_000 });
    return frame;
}

before(async () => {
    imageServer = http.createServer((req, res) => {
        hits.push(req.url ?? "");
        res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => imageServer.listen(0, "127.0.0.1", resolve));
    const port = (imageServer.address() as AddressInfo).port;
    s = await startE2eSession({
        name: "chat",
        env: { GLM4_CHAT_TEST_GRAMMAR: chatGrammar(port) },
        settings: { "glm4.contextSize": 4096, "glm4.chat.maxTokens": 100_000 },
    });
}, { timeout: 240_000 });

after(async () => {
    await s?.dispose();
    await new Promise((resolve) => imageServer?.close(resolve));
});

test("the chat view streams a reply and Stop ends it", { timeout: 180_000 }, () => step("stream", async () => {
    const { wb } = s;
    // The editor the code will be inserted into: cursor at the end of the file.
    await wb.openFile("src/answer.ts");
    await wb.goToEnd();
    const frame = await openChat();
    // The model loads in the background; the budget meter shows tokens once it is ready.
    await frame.locator(".budget", { hasText: /tokens/ }).waitFor({ state: "visible", timeout: 90_000 });
    await wb.screenshot("chat-open");

    await frame.locator("textarea.input").fill(QUESTION);
    await frame.locator("textarea.input").press("Enter");
    const reply = frame.locator(".message.assistant").last();
    await reply.locator(".markdown", { hasText: "Here is the code" }).waitFor({ state: "visible", timeout: 60_000 });
    // Both remote images were reached (they come right after the code block) while the reply still streams.
    await reply.locator(".blocked-image").nth(1).waitFor({ state: "attached", timeout: 30_000 });
    assert.equal(await reply.evaluate((el) => el.classList.contains("streaming")), true, "still streaming");
    assert.equal(await frame.locator("button.send").innerText(), "Stop");
    await wb.screenshot("chat-streaming");

    await frame.locator("button.send.stop").click();
    await reply.locator(".stop-note", { hasText: "Stopped." }).waitFor({ state: "visible", timeout: 30_000 });
    assert.equal(await reply.evaluate((el) => el.classList.contains("streaming")), false);
    assert.equal(await frame.locator("button.send").innerText(), "Send");
    await frame.locator(".message.user .user-text", { hasText: QUESTION }).waitFor({ state: "visible" });
    await wb.screenshot("chat-stopped");
}));

test("a remote image in a reply makes no network request", { timeout: 30_000 }, () => step("image", async () => {
    const reply = chatFrame().locator(".message.assistant").last();
    assert.equal(await reply.locator("img").count(), 0, "no <img> element in the reply");
    assert.deepEqual(await reply.locator(".blocked-image").allInnerTexts(), ["[image: logo]", "[image: raw]"]);
    // Give a (wrongly) issued request time to arrive before concluding there was none.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(hits, [], "the loopback image server was never contacted");
}));

test("Insert puts the reply's code block at the cursor in the editor", { timeout: 60_000 }, () => step("insert", async () => {
    const { wb } = s;
    const frame = chatFrame();
    const insert = frame.locator(".message.assistant").last().locator('.code-block button[data-action="insert"]');
    await insert.click();
    await insert.filter({ hasText: "Inserted" }).waitFor({ state: "visible", timeout: 15_000 });
    await wb.focusEditor();
    await wb.save();
    const text = fs.readFileSync(s.file("src/answer.ts"), "utf8");
    assert.ok(text.trimEnd().endsWith(CODE), `the file ends with the inserted code:\n${text}`);
    assert.ok(text.startsWith("// Fixture for the end-to-end tests"), "the rest of the file is unchanged");
    await wb.screenshot("chat-inserted");
}));

test("Apply shows a diff; Reject writes nothing, Accept applies it as an edit", { timeout: 90_000 }, () => step("apply", async () => {
    const { wb } = s;
    const page = wb.page;
    const before = fs.readFileSync(s.file("src/answer.ts"), "utf8");
    // Select the add() function (lines 3-5): Apply proposes the code block in its place.
    await wb.selectLines(3, 5);
    const apply = chatFrame().locator(".message.assistant").last().locator('.code-block button[data-action="apply"]');
    const toast = page.locator(".notification-toast", { hasText: "Apply the proposed change to answer.ts" });

    await apply.click();
    await page.locator(".monaco-diff-editor").first().waitFor({ state: "visible", timeout: 15_000 });
    await toast.waitFor({ state: "visible", timeout: 15_000 });
    await wb.screenshot("chat-apply-diff");
    await toast.locator(".monaco-button", { hasText: "Reject" }).click();
    await chatFrame().locator(".composer-notice", { hasText: "rejected" }).waitFor({ state: "visible", timeout: 15_000 });
    await page.locator(".monaco-diff-editor").first().waitFor({ state: "hidden", timeout: 15_000 });
    assert.equal(await page.locator(".tab.active.dirty").count(), 0, "nothing was written to the buffer");
    assert.equal(fs.readFileSync(s.file("src/answer.ts"), "utf8"), before);

    await apply.click();
    await toast.waitFor({ state: "visible", timeout: 15_000 });
    await toast.locator(".monaco-button", { hasText: "Accept" }).click();
    await apply.filter({ hasText: "Applied" }).waitFor({ state: "visible", timeout: 15_000 });
    await wb.focusEditor();
    await wb.save();
    const after = fs.readFileSync(s.file("src/answer.ts"), "utf8");
    assert.ok(!after.includes("export function add"), `the selection was replaced:\n${after}`);
    assert.equal(after.split(CODE).length - 1, 2, `the code is there twice (inserted, then applied):\n${after}`);
    assert.ok(after.startsWith("// Fixture for the end-to-end tests"), "the rest of the file is unchanged");
}));

test("after a window reload the conversation is in the history and reopens", { timeout: 180_000 }, () => step("history", async () => {
    const { wb } = s;
    await wb.page.reload({ waitUntil: "domcontentloaded" });
    await wb.page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 60_000 });
    // The extension is active again (its commands exist) once the model status is back in the status bar.
    await wb.statusBarItem("glm4-tiny-random").waitFor({ state: "visible", timeout: 90_000 });
    // The command reveals the view (wherever the reload left the side bar) and opens its history panel.
    await wb.runCommand("GLM-4: New Chat");
    const frame = chatFrame();
    await frame.locator(".empty-state").waitFor({ state: "visible", timeout: 60_000 });
    await wb.runCommand("GLM-4: Chat History");
    const item = frame.locator(".history-item .history-open", { hasText: QUESTION });
    await item.waitFor({ state: "visible", timeout: 60_000 });
    await wb.screenshot("chat-history");
    await item.click();
    await frame.locator(".history").waitFor({ state: "hidden" });
    await frame.locator(".message.user .user-text", { hasText: QUESTION }).waitFor({ state: "visible", timeout: 15_000 });
    const reply = frame.locator(".message.assistant").last();
    await reply.locator(".markdown", { hasText: "Here is the code" }).waitFor({ state: "visible" });
    await reply.locator(".stop-note", { hasText: "Stopped." }).waitFor({ state: "visible" });
    await wb.screenshot("chat-reopened");
    assert.deepEqual(hits, [], "re-rendering the stored reply made no request either");
}));
