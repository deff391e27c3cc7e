/**
 * The ids of the general commands (server lifecycle and inline completion), free of `vscode` so the
 * package.json sync test (test/protocol/commands.test.ts) can import it. Every area keeps such a
 * `commandIds.ts` exporting `COMMAND_IDS`; its command table is typed `Record<(typeof COMMAND_IDS)[number], ...>`,
 * so table and list cannot drift.
 */
export const COMMAND_IDS = [
    "glm4.showLogs",
    "glm4.restartServer",
    "glm4.reloadModel",
    "glm4.toggleCompletion",
    "glm4.toggleCompletionForLanguage",
    "glm4.triggerCompletion",
] as const;

export type GeneralCommandId = (typeof COMMAND_IDS)[number];
