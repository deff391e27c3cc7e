/**
 * Drives the VS Code workbench that code-server serves, in Debian's Chromium through playwright-core: open a
 * file, type, wait for and accept ghost text, run palette commands, open views, read the status bar, save,
 * take screenshots. Every wait is bounded; failures say what was on screen.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";

const T0 = Date.now();
/** GLM4_E2E_DEBUG=1: timestamped steps on stdout. */
export function debug(msg: string): void {
    if (process.env.GLM4_E2E_DEBUG) console.log(`[e2e +${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}`);
}

export const CHROMIUM = process.env.GLM4_E2E_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
];

export interface WorkbenchOptions {
    /** Where screenshots go (created). */
    screenshotsDir: string;
    /** Viewport (default 1400x900). */
    viewport?: { width: number; height: number };
    /** Milliseconds to wait for the workbench to appear (default 60 000). */
    loadTimeoutMs?: number;
}

export class Workbench {
    private constructor(readonly browser: Browser, readonly page: Page, private readonly screenshotsDir: string, readonly consoleErrors: string[]) {}

    static async open(url: string, options: WorkbenchOptions): Promise<Workbench> {
        fs.mkdirSync(options.screenshotsDir, { recursive: true });
        const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
        try {
            const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
            const page = await context.newPage();
            page.setDefaultTimeout(15_000);
            const errors: string[] = [];
            page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
            page.on("pageerror", (e) => errors.push(e.message));
            const wb = new Workbench(browser, page, options.screenshotsDir, errors);
            await page.goto(url, { waitUntil: "domcontentloaded", timeout: 30_000 });
            await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: options.loadTimeoutMs ?? 60_000 });
            // The explorer lists the folder once it is open; the workbench is usable from then on.
            await page.locator(".part.sidebar .monaco-list-row").first().waitFor({ state: "visible", timeout: 30_000 });
            debug("workbench ready");
            return wb;
        } catch (e) {
            await browser.close().catch(() => undefined);
            throw e;
        }
    }

    async close(): Promise<void> {
        await this.browser.close().catch(() => undefined);
    }

    async screenshot(name: string): Promise<string> {
        const file = path.join(this.screenshotsDir, name.endsWith(".png") ? name : `${name}.png`);
        await this.page.screenshot({ path: file, timeout: 10_000 }).catch(() => undefined);
        return file;
    }

    /** The quick input box (command palette / quick open), opened with F1 (Ctrl+P is the browser's print). */
    private async quickInput(prefix: string): Promise<Locator> {
        const input = this.page.locator(".quick-input-widget .quick-input-box input");
        await this.page.keyboard.press("F1");
        await input.waitFor({ state: "visible", timeout: 10_000 });
        await input.fill(prefix);
        return input;
    }

    /** Runs a command by its palette title, e.g. "GLM-4: Show Logs". */
    async runCommand(title: string): Promise<void> {
        const input = await this.quickInput(`>${title}`);
        const row = this.page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first();
        await row.waitFor({ state: "visible", timeout: 10_000 });
        await input.press("Enter");
        await this.page.locator(".quick-input-widget").waitFor({ state: "hidden", timeout: 10_000 }).catch(() => undefined);
    }

    /**
     * Opens a workspace file by relative path by clicking through the explorer tree (fast and deterministic;
     * quick open waits for a file search). Resolves when its editor has focus.
     */
    async openFile(relativePath: string): Promise<void> {
        const parts = relativePath.split("/").filter(Boolean);
        const tree = this.page.locator(".part.sidebar .monaco-list").first();
        for (const [i, name] of parts.entries()) {
            const row = tree.locator(`.monaco-list-row[aria-level="${i + 1}"][aria-label="${name}"]`).first();
            await row.waitFor({ state: "visible", timeout: 15_000 });
            const last = i === parts.length - 1;
            if (!last && (await row.getAttribute("aria-expanded")) === "true") continue;
            await row.click();
        }
        await this.waitForActiveTab(parts[parts.length - 1]!);
    }

    /** Opens a file through quick open (the palette without ">"), for files the explorer does not show. */
    async quickOpen(relativePath: string): Promise<void> {
        const base = path.basename(relativePath);
        const input = await this.quickInput(relativePath);
        const row = this.page.locator(".quick-input-widget .monaco-list-row", { hasText: base }).first();
        await row.waitFor({ state: "visible", timeout: 30_000 });
        await input.press("Enter");
        await this.waitForActiveTab(base);
    }

    private async waitForActiveTab(base: string): Promise<void> {
        await this.page.locator(".editor-group-container.active .tab.active", { hasText: base }).first().waitFor({ state: "visible", timeout: 15_000 });
        debug(`tab ${base} active`);
        await this.activeEditor().locator(".view-lines").waitFor({ state: "visible" });
        await this.focusEditor();
        debug("editor focused");
    }

    activeEditor(): Locator {
        return this.page.locator(".editor-group-container.active .monaco-editor").first();
    }

    async focusEditor(): Promise<void> {
        await this.activeEditor().locator(".view-lines").click({ position: { x: 5, y: 5 } }).catch(() => undefined);
        await this.page.locator(".editor-group-container.active .monaco-editor.focused").first().waitFor({ state: "visible", timeout: 5_000 });
    }

    /** Focuses the editor and selects whole lines `first`..`last` (1-based) with the keyboard, as a person would. */
    async selectLines(first: number, last: number): Promise<void> {
        await this.focusEditor();
        await this.page.keyboard.press("Control+Home");
        for (let i = 1; i < first; i++) await this.page.keyboard.press("ArrowDown");
        for (let i = first; i < last; i++) await this.page.keyboard.press("Shift+ArrowDown");
        await this.page.keyboard.press("Shift+End");
    }

    /** Moves the cursor to the end of the document (Ctrl+End). */
    async goToEnd(): Promise<void> {
        await this.page.keyboard.press("Control+End");
    }

    /** Types like a person (one key event per character), without auto-closing surprises for plain text. */
    async type(text: string, delayMs = 20): Promise<void> {
        await this.page.keyboard.type(text, { delay: delayMs });
    }

    ghostText(): Locator {
        return this.activeEditor().locator(".ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text");
    }

    /** Waits for inline-suggestion ghost text in the active editor and returns its visible text. */
    async waitForGhostText(timeoutMs = 30_000): Promise<string> {
        await this.ghostText().first().waitFor({ state: "visible", timeout: timeoutMs });
        return (await this.ghostText().allTextContents()).join("");
    }

    /** Accepts the shown inline suggestion (Tab) and waits for the ghost text to go. */
    async acceptGhostText(): Promise<void> {
        await this.page.keyboard.press("Tab");
        await this.ghostText().first().waitFor({ state: "hidden", timeout: 10_000 });
    }

    /** Saves the active editor (Ctrl+S) and waits until its tab is no longer dirty. */
    async save(): Promise<void> {
        await this.page.keyboard.press("Control+S");
        await this.page.locator(".tab.active.dirty").waitFor({ state: "detached", timeout: 10_000 });
    }

    /** The text of the status bar item whose id or text matches (e.g. our model status). */
    statusBarItem(match: RegExp | string): Locator {
        return this.page.locator("#workbench\\.parts\\.statusbar .statusbar-item", { hasText: match }).first();
    }

    async statusBarText(): Promise<string> {
        return (await this.page.locator("#workbench\\.parts\\.statusbar").innerText({ timeout: 5_000 })).replace(/\s+/g, " ");
    }

    /** Opens a view container from the activity bar by its title (e.g. "GLM-4"). */
    async openActivity(title: string): Promise<void> {
        await this.page.locator(`.activitybar .action-item a[aria-label^="${title}"], .activitybar .action-item [aria-label^="${title}"]`).first().click();
    }

    /** Visible notification toasts' messages (diagnostics for failures). */
    async notifications(): Promise<string[]> {
        return this.page.locator(".notification-toast .notification-list-item-message").allInnerTexts().catch(() => []);
    }
}
