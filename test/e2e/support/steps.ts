/**
 * What the e2e tests of our webviews share: the webview's content frame, and a test step that, on failure,
 * saves a screenshot and says what the view, the notifications and the browser console showed.
 */
import type { FrameLocator } from "playwright-core";
import type { E2eSession } from "./session";

/** Our webview's content frame (code-server nests the view's document in an inner iframe): the first or last open. */
export function webviewFrame(s: E2eSession, which: "first" | "last" = "first"): FrameLocator {
    const outer = s.wb.page.frameLocator('iframe.webview[src*="glm4-code"]');
    return (which === "first" ? outer.first() : outer.last()).frameLocator("iframe#active-frame");
}

/** Runs a test body; on failure saves `test-results/<prefix>-failed-<name>.png` and rethrows with what the page showed. */
export async function failureStep(s: E2eSession, prefix: string, view: FrameLocator, name: string, body: () => Promise<void>): Promise<void> {
    try {
        await body();
    } catch (e) {
        await s.wb.screenshot(`${prefix}-failed-${name}`);
        const text = await view.locator("#app").innerText({ timeout: 2_000 }).catch(() => `(no ${prefix} view)`);
        throw new Error(`${(e as Error).message}\n--- ${prefix} view ---\n${text}\n--- notifications ---\n${JSON.stringify(await s.wb.notifications())}\n--- console errors ---\n${s.wb.consoleErrors.slice(-10).join("\n")}`);
    }
}
