/**
 * Server-side timing of `textDocument/inlineCompletion` without touching the feature's code: a Feature that
 * registers the real `InlineCompletionFeature` with a context whose connection wraps the handler the feature
 * installs. Each request's span is from the handler's call to its settled result (what the server spends,
 * without the JSON-RPC transport), measured with `performance.now()`.
 */
import type { Connection, InlineCompletionParams, ServerCapabilities, ClientCapabilities } from "vscode-languageserver";
import type { Feature, ServerContext } from "../server/feature";
import type { InlineCompletionFeature } from "../server/completion/feature";

export interface ServerSpan {
    readonly uri: string;
    readonly line: number;
    readonly character: number;
    readonly start: number;
    readonly end: number;
    readonly ms: number;
    /** Items returned (0 when none or when it threw). */
    readonly items: number;
    /** It threw (RequestCancelled after $/cancelRequest, or an error). */
    readonly threw: boolean;
}

type Handler = (params: InlineCompletionParams, ...rest: unknown[]) => unknown;

export class TimedInlineCompletion implements Feature {
    readonly name = "timedInlineCompletion";
    readonly spans: ServerSpan[] = [];
    private readonly listeners = new Set<(s: ServerSpan) => void>();

    constructor(readonly inner: InlineCompletionFeature) {}

    capabilities(client: ClientCapabilities): ServerCapabilities {
        return this.inner.capabilities();
    }

    /** Called with each span as its request settles. */
    onSpan(listener: (s: ServerSpan) => void): { dispose(): void } {
        this.listeners.add(listener);
        return { dispose: () => void this.listeners.delete(listener) };
    }

    /** The span of the request at a position (the latest one), if it settled. */
    spanAt(uri: string, line: number, character: number): ServerSpan | undefined {
        for (let i = this.spans.length - 1; i >= 0; i--) {
            const s = this.spans[i]!;
            if (s.uri === uri && s.line === line && s.character === character) return s;
        }
        return undefined;
    }

    register(ctx: ServerContext): void {
        const connection = this.wrapConnection(ctx.connection);
        const wrapped = new Proxy(ctx, {
            get: (target, prop) => (prop === "connection" ? connection : Reflect.get(target, prop)),
        });
        this.inner.register(wrapped);
    }

    dispose(): void | Promise<void> {
        return this.inner.dispose();
    }

    private wrapConnection(conn: Connection): Connection {
        const record = (span: ServerSpan): void => {
            this.spans.push(span);
            for (const l of [...this.listeners]) l(span);
        };
        const wrapHandler = (handler: Handler): Handler => async (params, ...rest) => {
            const start = performance.now();
            const base = { uri: params.textDocument.uri, line: params.position.line, character: params.position.character, start };
            try {
                const result = await handler(params, ...rest);
                const end = performance.now();
                const items = result == null ? 0 : Array.isArray(result) ? result.length : (result as { items: unknown[] }).items.length;
                record({ ...base, end, ms: end - start, items, threw: false });
                return result;
            } catch (e) {
                const end = performance.now();
                record({ ...base, end, ms: end - start, items: 0, threw: true });
                throw e;
            }
        };
        const languages = new Proxy(conn.languages, {
            get: (target, prop) => {
                if (prop !== "inlineCompletion") return Reflect.get(target, prop);
                const ic = target.inlineCompletion;
                return { on: (handler: Handler) => ic.on(wrapHandler(handler) as never) };
            },
        });
        return new Proxy(conn, {
            get: (target, prop) => {
                if (prop === "languages") return languages;
                const v = Reflect.get(target, prop);
                return typeof v === "function" ? v.bind(target) : v;
            },
        });
    }
}
