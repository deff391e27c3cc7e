/**
 * The `glm4` settings as the client needs them. The server gets the whole section (initializationOptions,
 * then `workspace/configuration` pulls and `workspace/didChangeConfiguration` after its dynamic
 * registration), validates it and owns the defaults; the client reads only what it acts on itself: the
 * completion gate and debounce. Writes go where the value is set now (workspace if set there, else user).
 */
import * as vscode from "vscode";
import { DEFAULT_SETTINGS, SETTINGS_SECTION, type CompletionSettings } from "../server/protocol/settings";

export type ClientCompletionSettings = Pick<CompletionSettings, "enabled" | "disabledLanguages" | "debounceMs">;

/** The whole `glm4` section as plain JSON, for initializationOptions (the server validates it). */
export function settingsSection(): unknown {
    const raw = vscode.workspace.getConfiguration().get<unknown>(SETTINGS_SECTION);
    return raw === undefined ? undefined : JSON.parse(JSON.stringify(raw));
}

/** The completion settings for a document (language-specific overrides apply), bad values replaced by defaults. */
export function completionSettings(scope?: vscode.ConfigurationScope): ClientCompletionSettings {
    const c = vscode.workspace.getConfiguration(`${SETTINGS_SECTION}.completion`, scope);
    const d = DEFAULT_SETTINGS.completion;
    const enabled = c.get<unknown>("enabled");
    const languages = c.get<unknown>("disabledLanguages");
    const debounceMs = c.get<unknown>("debounceMs");
    return {
        enabled: typeof enabled === "boolean" ? enabled : d.enabled,
        disabledLanguages: Array.isArray(languages) ? languages.filter((l): l is string => typeof l === "string") : d.disabledLanguages,
        debounceMs: typeof debounceMs === "number" && Number.isFinite(debounceMs) && debounceMs >= 0 ? debounceMs : d.debounceMs,
    };
}

/** Fires when anything under `glm4` changed. */
export function onDidChangeSettings(listener: (e: vscode.ConfigurationChangeEvent) => unknown): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SETTINGS_SECTION)) listener(e);
    });
}

/** Writes `glm4.<key>` where it is set now: the workspace if set there, else the user settings. */
export async function updateSetting(key: string, value: unknown): Promise<void> {
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const inspect = config.inspect(key);
    const target = inspect?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await config.update(key, value, target);
}
