/**
 * Shape checks of every request the chat webview may send (vscode-free). The table is typed
 * `{ [method]: check }`, so adding a request to `WebviewRequests` without a check does not compile.
 */
import type { Validators } from "./webviewChannel";
import { checkBudgetParams, checkChatParams, checkConversationIdParams, shape as S } from "../../server/protocol/chat";

const empty = S.object({});
const code = S.string(2_000_000);

export const WEBVIEW_VALIDATORS: Validators = {
    "init": empty,
    "chat/send": checkChatParams,
    "chat/cancel": S.object({ chatId: S.string(200) }),
    "chat/budget": checkBudgetParams,
    "history/list": empty,
    "history/get": checkConversationIdParams,
    "history/delete": checkConversationIdParams,
    "context/selection": empty,
    "context/activeFile": empty,
    "context/pickFile": empty,
    "context/problems": empty,
    "code/copy": S.object({ code }),
    "code/insert": S.object({ code, languageId: S.optional(S.string(100)) }),
    "code/apply": S.object({ code, languageId: S.optional(S.string(100)) }),
    "showLogs": empty,
};
