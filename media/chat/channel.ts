/**
 * The webview side of the typed channel: `request()` posts a request and resolves with its answer; `on()`
 * subscribes to the host's events. Responses and events are matched by id / name; anything else is ignored.
 */
import type { EventName, RequestMethod, RequestParams, RequestResult, WebviewEvents, WireError, WireMessage } from "./protocol";

export interface MessagePort {
    postMessage(message: unknown): void;
}

/** A request the host answered with an error; `kind` says why (ModelNotLoaded, ServerUnavailable, ...). */
export class RequestError extends Error {
    readonly kind: WireError["kind"];
    constructor(error: WireError) {
        super(error.message);
        this.kind = error.kind;
    }
}

export class WebviewChannel {
    private nextId = 1;
    private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    private readonly handlers = new Map<string, Set<(params: unknown) => void>>();

    constructor(private readonly port: MessagePort, source: Pick<Window, "addEventListener">) {
        source.addEventListener("message", (e: MessageEvent) => this.receive(e.data));
    }

    request<M extends RequestMethod>(method: M, params: RequestParams<M>): Promise<RequestResult<M>> {
        const id = this.nextId++;
        return new Promise<RequestResult<M>>((resolve, reject) => {
            this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
            this.port.postMessage({ type: "request", id, method, params } satisfies WireMessage);
        });
    }

    on<E extends EventName>(event: E, handler: (params: WebviewEvents[E]) => void): () => void {
        let set = this.handlers.get(event);
        if (!set) this.handlers.set(event, (set = new Set()));
        set.add(handler as (params: unknown) => void);
        return () => set.delete(handler as (params: unknown) => void);
    }

    private receive(data: unknown): void {
        if (typeof data !== "object" || data === null) return;
        const m = data as Partial<WireMessage> & Record<string, unknown>;
        if (m.type === "response" && typeof m.id === "number") {
            const p = this.pending.get(m.id);
            if (!p) return;
            this.pending.delete(m.id);
            if (m.error) p.reject(new RequestError(m.error as WireError));
            else p.resolve(m.result);
        } else if (m.type === "event" && typeof m.event === "string") {
            for (const h of this.handlers.get(m.event) ?? []) {
                try {
                    h(m.params);
                } catch (e) {
                    console.error(`chat: handler of ${m.event} failed`, e);
                }
            }
        }
    }
}
