/**
 * What the test VS Code instances share (code-server e2e and the @vscode/test-electron suite): user settings
 * and the forced completion. No browser or VS Code imports here.
 */
import { fixtureModelPath } from "../../support/models";

/** The settings every e2e test starts from: the tiny model on CPU, no distractions, deterministic typing. */
export function testSettings(): Record<string, unknown> {
    return {
        "glm4.model": fixtureModelPath("tiny"),
        // One thread: with two, llama.cpp's threads wait on each other when the 2-core machine is busy (code-server,
        // Chromium, the extension host), and a 20-token suggestion took seconds instead of milliseconds.
        "glm4.threads": 1,
        "glm4.contextSize": 2048,
        "glm4.gpuLayers": 0,
        "glm4.completion.debounceMs": 0,
        // Generous: a loaded CI machine must not cut the forced suggestion short (its speed is measured in bench).
        "glm4.completion.timeoutMs": 30_000,
        "security.workspace.trust.enabled": false,
        "editor.inlineSuggest.enabled": true,
        "editor.quickSuggestions": { other: "off", comments: "off", strings: "off" },
        "editor.suggestOnTriggerCharacters": false,
        "editor.wordBasedSuggestions": "off",
        "editor.autoClosingBrackets": "never",
        "editor.autoClosingQuotes": "never",
        "editor.minimap.enabled": false,
        "files.autoSave": "off",
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": false,
        "workbench.secondarySideBar.defaultVisibility": "hidden",
        "extensions.ignoreRecommendations": true,
        "workbench.welcomePage.walkthroughs.openOnInstall": false,
        "telemetry.telemetryLevel": "off",
        "extensions.autoCheckUpdates": false,
        "extensions.autoUpdate": false,
        "update.mode": "none",
        "chat.disableAIFeatures": true,
    };
}

/**
 * The completion the tests force: the server reads GLM4_COMPLETION_TEST_GRAMMAR (a GBNF grammar) and constrains
 * sampling with it, so the random-weight tiny model emits exactly SUGGESTION through the real engine.
 */
export const FORCED_COMPLETION = {
    /** Typed at the end of test/fixtures/workspace/src/answer.ts. */
    typed: "export const answer = ",
    suggestion: "computeAnswer(40, 2);",
    get grammar(): string { return `root ::= ${JSON.stringify(this.suggestion)}`; },
    get env(): Record<string, string> { return { GLM4_COMPLETION_TEST_GRAMMAR: this.grammar }; },
} as const;
