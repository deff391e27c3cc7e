/**
 * Whether to ask the server for an inline completion at all, free of `vscode` (unit-tested). Skipping here
 * costs nothing; asking while the model loads would only queue requests that the next keystroke cancels.
 */
import type { CompletionSettings } from "../../server/protocol/settings";
import type { ModelState } from "../../server/protocol/status";

/** Why no suggestion is asked for, or undefined when one should be. */
export function completionSkipReason(
    settings: Pick<CompletionSettings, "enabled" | "disabledLanguages">,
    languageId: string,
    modelState: ModelState | undefined,
): string | undefined {
    if (!settings.enabled) return "inline completion is turned off (glm4.completion.enabled)";
    if (settings.disabledLanguages.includes(languageId)) return `inline completion is off for ${languageId} (glm4.completion.disabledLanguages)`;
    // "idle"/"unloaded" load on demand and undefined (status not known yet) asks anyway: the server decides.
    if (modelState === "loading" || modelState === "downloading") return `the model is ${modelState}`;
    if (modelState === "error") return "the model failed to load";
    return undefined;
}

/** The disabled-language list with `languageId` toggled; returns the new list and whether it is now enabled. */
export function toggleLanguage(disabled: readonly string[], languageId: string): { disabledLanguages: string[]; enabled: boolean } {
    return disabled.includes(languageId)
        ? { disabledLanguages: disabled.filter((l) => l !== languageId), enabled: true }
        : { disabledLanguages: [...disabled, languageId], enabled: false };
}
