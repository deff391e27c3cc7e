/**
 * The extension side of the typed webview channel. vscode-free (tested without VS Code): it is given a
 * `post` function and a validator per request method. Every incoming message is shape-checked first; a
 * message of the wrong shape (or an unknown method) is ignored and logged, never answered or acted on.
 */
import type { EventName, RequestMethod, RequestParams, RequestResult, WebviewEvents, WireError, WireMessage } from "../../media/chat/protocol";
import type { ShapeCheck } from "../../server/protocol/chat";

export type RequestHandler<M extends RequestMethod> = (params: RequestParams<M>) => Promise<RequestResult<M>> | RequestResult<M>;
export type Validators = { readonly [M in RequestMethod]: ShapeCheck };

export interface ChannelLog {
    warn(message: string): void;
    error(message: string): void;
}

export class HostChannel {
    private readonly handlers = new Map<string, (params: unknown) => unknown>();

    constructor(
        private readonly post: (message: WireMessage) => void | PromiseLike<unknown>,
        private readonly validators: Validators,
        private readonly log: ChannelLog,
        /** Maps a thrown error to what the webview sees. */
        private readonly toWireError: (e: unknown) => WireError = (e) => ({ message: (e as Error)?.message ?? String(e) }),
    ) {}

    handle<M extends RequestMethod>(method: M, handler: RequestHandler<M>): void {
        this.handlers.set(method, handler as (params: unknown) => unknown);
    }

    emit<E extends EventName>(event: E, params: WebviewEvents[E]): void {
        void Promise.resolve(this.post({ type: "event", event, params })).catch(() => undefined);
    }

    /** Handles one raw message from the webview. Resolves when it was answered (or ignored). */
    async receive(raw: unknown): Promise<void> {
        const problem = this.checkEnvelope(raw);
        if (problem) {
            this.log.warn(`chat webview: ignored a message of the wrong shape (${problem}): ${preview(raw)}`);
            return;
        }
        const m = raw as { id: number; method: RequestMethod; params: unknown };
        const handler = this.handlers.get(m.method);
        if (!handler) {
            this.log.warn(`chat webview: ignored ${m.method}: no handler`);
            return;
        }
        let reply: WireMessage;
        try {
            reply = { type: "response", id: m.id, result: (await handler(m.params)) ?? {} };
        } catch (e) {
            reply = { type: "response", id: m.id, error: this.toWireError(e) };
        }
        await Promise.resolve(this.post(reply)).then(undefined, () => undefined);
    }

    private checkEnvelope(raw: unknown): string | undefined {
        if (typeof raw !== "object" || raw === null) return "not an object";
        const m = raw as Record<string, unknown>;
        if (m.type !== "request") return "type should be \"request\"";
        if (typeof m.id !== "number" || !Number.isSafeInteger(m.id)) return "id should be an integer";
        if (typeof m.method !== "string" || !Object.hasOwn(this.validators, m.method)) return `unknown method ${JSON.stringify(m.method)}`;
        return this.validators[m.method as RequestMethod](m.params, `${m.method} params`);
    }
}

function preview(v: unknown): string {
    let s: string;
    try {
        s = JSON.stringify(v) ?? String(v);
    } catch {
        s = String(v);
    }
    return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
