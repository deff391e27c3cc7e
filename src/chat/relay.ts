/**
 * The relay between the chat webview and the language server: `chat/*` and `history/*` requests go to the
 * server unchanged, `glm4/chatDelta` notifications come back as "chat/delta" events. No chat logic here
 * (no prompts, no history, no budget): only forwarding, cancellation tokens and error mapping.
 */
import * as vscode from "vscode";
import { ErrorCodes, ResponseError, type LanguageClient } from "vscode-languageclient/node";
import type { Ctx } from "../ctx";
import type { ServerState, WireError } from "../../media/chat/protocol";
import {
    ChatBudgetRequest, ChatDeleteRequest, ChatDeltaNotification, ChatGetRequest, ChatListRequest, ChatRequest,
} from "../../server/protocol/chat";
import { isGlm4ErrorData } from "../../server/protocol/errors";
import type { HostChannel } from "./webviewChannel";

/** Errors the webview gets: the server's typed kind, or ServerUnavailable when no server answers. */
export function toWireError(e: unknown): WireError {
    if (e instanceof ServerUnavailable) return { message: e.message, kind: "ServerUnavailable" };
    if (e instanceof ResponseError) {
        if (isGlm4ErrorData(e.data)) return { message: e.message, kind: e.data.kind };
        if (e.code === ErrorCodes.ConnectionInactive || e.code === ErrorCodes.PendingResponseRejected) return { message: e.message, kind: "ServerUnavailable" };
    }
    return { message: e instanceof Error ? e.message : String(e) };
}

class ServerUnavailable extends Error {}

export class ChatRelay implements vscode.Disposable {
    private readonly inflight = new Map<string, vscode.CancellationTokenSource>();
    private deltaSubscription: vscode.Disposable | undefined;
    private readonly disposables: vscode.Disposable[] = [];

    constructor(private readonly ctx: Ctx, private readonly channel: () => HostChannel | undefined) {
        this.listen(ctx.client);
        this.disposables.push(
            ctx.onDidChangeClient((client) => {
                this.listen(client);
                this.channel()?.emit("server/state", this.state());
            }),
            ctx.onDidChangeStatus(() => this.channel()?.emit("server/state", this.state())),
        );
    }

    private state(): ServerState {
        const s: ServerState = { serverAvailable: this.ctx.client !== undefined };
        if (this.ctx.status) s.model = this.ctx.status;
        return s;
    }

    /** Forwards the server's chat deltas to the webview (re-subscribed for every new client). */
    private listen(client: LanguageClient | undefined): void {
        this.deltaSubscription?.dispose();
        this.deltaSubscription = client?.onNotification(ChatDeltaNotification.type, (p) => this.channel()?.emit("chat/delta", p));
    }

    private async client(): Promise<LanguageClient> {
        try {
            return await this.ctx.readyClient();
        } catch (e) {
            throw new ServerUnavailable(e instanceof Error ? e.message : String(e));
        }
    }

    /** Installs the relayed request handlers on a channel. */
    attach(channel: HostChannel): void {
        channel.handle("init", () => this.state());
        channel.handle("chat/send", async (params) => {
            const client = await this.client();
            const cts = new vscode.CancellationTokenSource();
            this.inflight.set(params.chatId, cts);
            try {
                return await client.sendRequest(ChatRequest.type, params, cts.token);
            } finally {
                this.inflight.delete(params.chatId);
                cts.dispose();
            }
        });
        channel.handle("chat/cancel", ({ chatId }) => {
            const cts = this.inflight.get(chatId);
            cts?.cancel();
            return { cancelled: cts !== undefined };
        });
        channel.handle("chat/budget", async (params) => (await this.client()).sendRequest(ChatBudgetRequest.type, params));
        channel.handle("history/list", async () => (await this.client()).sendRequest(ChatListRequest.type, {}));
        channel.handle("history/get", async (params) => (await this.client()).sendRequest(ChatGetRequest.type, params));
        channel.handle("history/delete", async (params) => (await this.client()).sendRequest(ChatDeleteRequest.type, params));
    }

    dispose(): void {
        for (const cts of this.inflight.values()) cts.cancel();
        this.deltaSubscription?.dispose();
        for (const d of this.disposables) d.dispose();
    }
}
