/**
 * Chat constants shared by server, extension and webview. Imports nothing (the webview bundle imports it, and
 * must not pull in LSP runtime code); `chat.ts` re-exports everything here.
 */

/** Slash commands that act on the selection (`/explain` in the input, or the `glm4.chat.explain` command). */
export const SlashCommands = ["explain", "fix", "tests", "doc"] as const;
export type SlashCommand = (typeof SlashCommands)[number];

/** Longest message text the server accepts as is; longer text is cut (with a notice), never rejected. */
export const MAX_INPUT_CHARS = 100_000;
/** Longest attachment text kept (each). */
export const MAX_ATTACHMENT_CHARS = 200_000;
/** At most this many attachments on one message. */
export const MAX_ATTACHMENTS = 20;
