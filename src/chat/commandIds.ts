/**
 * The chat area's command ids, free of `vscode` so the package.json sync test can import it. The command table
 * in `commands.ts` is typed `Record<ChatCommandId, ...>`, so table and list cannot drift.
 */
export const COMMAND_IDS = [
    "glm4.chat.new",
    "glm4.chat.history",
    "glm4.chat.addSelection",
    "glm4.chat.addFile",
    "glm4.chat.explain",
    "glm4.chat.fix",
    "glm4.chat.tests",
    "glm4.chat.doc",
] as const;
export type ChatCommandId = (typeof COMMAND_IDS)[number];

/** The webview view's id (package.json contributes.views). */
export const CHAT_VIEW_ID = "glm4.chatView";
