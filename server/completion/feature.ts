/**
 * Inline completion over standard LSP `textDocument/inlineCompletion` (3.18).
 * - Capability: `inlineCompletionProvider: true`.
 * - Newest wins per document: each request gets its own AbortController; a new request for the same document
 *   aborts the previous one (which answers an empty list), and `$/cancelRequest` aborts through the request's
 *   CancellationToken (answered with RequestCancelled). Generation stops within one decode step.
 * - A result computed for a document version that is no longer current is never returned; a change to the
 *   document aborts its running generation at once.
 * - Never throws at the client: a missing model, a binary or disabled document give an empty list.
 * - After each request that returned items: `CompletionMetricsNotification`.
 * - Cross-file ring: fed by didOpen (top of the file) and by each completion request (the edited region).
 */
import { LSPErrorCodes, ResponseError, type CancellationToken, type InlineCompletionList, type InlineCompletionParams, type ServerCapabilities } from "vscode-languageserver";
import type { Feature, ServerContext } from "../feature";
import { CompletionMetricsNotification } from "../protocol/completion";
import { CompletionEngine, type CompletionEngineOptions } from "./engine";

export type InlineCompletionFeatureOptions = CompletionEngineOptions;

const EMPTY: InlineCompletionList = { items: [] };

export class InlineCompletionFeature implements Feature {
    readonly name = "inlineCompletion";
    private engineRef?: CompletionEngine;
    private readonly inflight = new Map<string, AbortController>();

    constructor(private readonly options: InlineCompletionFeatureOptions = {}) {}

    /** The engine (after `register`): its cache, ring and trace events. */
    get engine(): CompletionEngine {
        if (!this.engineRef) throw new Error("InlineCompletionFeature is not registered");
        return this.engineRef;
    }

    capabilities(): ServerCapabilities {
        return { inlineCompletionProvider: true };
    }

    register(ctx: ServerContext): void {
        const engine = new CompletionEngine({ models: ctx.models, settings: ctx.settings, log: ctx.log }, this.options);
        this.engineRef = engine;
        ctx.connection.languages.inlineCompletion.on((params, token) => this.handle(ctx, params, token));
        ctx.documents.onDidOpen((e) => engine.ring.note(e.document, 0));
        // A change makes the running suggestion stale: stop its generation now (its answer would be dropped).
        ctx.documents.onDidChangeContent((e) => this.inflight.get(e.document.uri)?.abort());
        ctx.documents.onDidClose((e) => {
            engine.cache.clear(e.document.uri);
            this.inflight.get(e.document.uri)?.abort();
        });
        ctx.settings.onDidChange((next, prev) => {
            if (JSON.stringify(next.completion) !== JSON.stringify(prev.completion) || next.model !== prev.model) engine.cache.clear();
        });
    }

    private async handle(ctx: ServerContext, params: InlineCompletionParams, token: CancellationToken): Promise<InlineCompletionList> {
        const receivedAt = Date.now();
        const uri = params.textDocument.uri;
        const doc = ctx.documents.get(uri);
        if (!doc) return EMPTY;
        const version = doc.version;
        const text = doc.getText();
        const offset = doc.offsetAt(params.position);
        const position = doc.positionAt(offset);

        this.inflight.get(uri)?.abort();
        const controller = new AbortController();
        this.inflight.set(uri, controller);
        const onCancel = token.onCancellationRequested(() => controller.abort());
        if (token.isCancellationRequested) controller.abort();
        try {
            this.engine.ring.note(doc, position.line);
            const outcome = await this.engine.complete({ uri, languageId: doc.languageId, text, offset, signal: controller.signal, receivedAt });
            if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, "inline completion cancelled");
            if (outcome.kind === "none") {
                ctx.log.debug(`inline completion ${uri}@${version}: none (${outcome.reason})`);
                return EMPTY;
            }
            if (controller.signal.aborted || ctx.documents.get(uri)?.version !== version) {
                ctx.log.debug(`inline completion ${uri}@${version}: dropped (stale)`);
                return EMPTY;
            }
            void ctx.connection.sendNotification(CompletionMetricsNotification.type, outcome.metrics).catch(() => undefined);
            return { items: [{ insertText: outcome.text, range: { start: position, end: position } }] };
        } catch (e) {
            if (e instanceof ResponseError) throw e;
            ctx.log.error(`inline completion failed: ${(e as Error)?.stack ?? e}`);
            return EMPTY;
        } finally {
            onCancel.dispose();
            if (this.inflight.get(uri) === controller) this.inflight.delete(uri);
        }
    }

    dispose(): void {
        for (const c of this.inflight.values()) c.abort();
        this.inflight.clear();
        this.engineRef?.dispose();
    }
}
