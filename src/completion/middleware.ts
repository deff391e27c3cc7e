/**
 * Inline completion goes through vscode-languageclient's own `textDocument/inlineCompletion` feature; this
 * middleware only decides whether and when to ask: skipped when turned off, in disabled languages or while
 * the model loads; automatic requests wait the adaptive debounce (explicit ones, e.g. `glm4.triggerCompletion`,
 * do not); the token cancels the wait and the request (the server aborts generation, newest wins). Failures
 * never pop up: the client logs them and the user sees no suggestion.
 */
import * as vscode from "vscode";
import type { Middleware } from "vscode-languageclient/node";
import type { Ctx } from "../ctx";
import { completionSettings } from "../config";
import { AdaptiveDebounce, isTypingChange, sleep } from "./debounce";
import { completionSkipReason } from "./gate";

export function inlineCompletionMiddleware(ctx: Ctx): Middleware {
    const debounce = new AdaptiveDebounce();
    ctx.subscriptions.push(
        vscode.workspace.onDidChangeTextDocument((e) => {
            if (e.document === vscode.window.activeTextEditor?.document && isTypingChange(e.contentChanges, e.reason)) {
                debounce.recordKeystroke(Date.now());
            }
        }),
    );
    let lastSkip: string | undefined;
    return {
        provideInlineCompletionItems: async (document, position, context, token, next) => {
            const settings = completionSettings(document);
            const skip = completionSkipReason(settings, document.languageId, ctx.status?.state);
            if (skip) {
                if (skip !== lastSkip) ctx.log.debug(`no inline completion: ${skip}`);
                lastSkip = skip;
                return undefined;
            }
            lastSkip = undefined;
            if (context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic) {
                const waited = await sleep(debounce.delay(Date.now(), settings.debounceMs), token);
                if (!waited) return undefined;
            }
            try {
                return await next(document, position, context, token);
            } catch (e) {
                // Already logged by the client unless it was a cancellation; never shown as a popup.
                if (!token.isCancellationRequested) ctx.log.debug(`inline completion failed: ${e instanceof Error ? e.message : String(e)}`);
                return undefined;
            }
        },
    };
}
