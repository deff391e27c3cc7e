/**
 * A bare LSP connection pair in one process for model-host tests: the server side is vscode-languageserver's
 * `createConnection` (what the real server uses), the client side a vscode-jsonrpc connection that advertises
 * `window.workDoneProgress` and records the progress it is sent. No features, no startServer.
 */
import { MessageChannel } from "node:worker_threads";
import { createConnection, type Connection } from "vscode-languageserver/node";
import {
    InitializeRequest, InitializedNotification, PortMessageReader, PortMessageWriter, WorkDoneProgressCreateRequest,
    createMessageConnection, type MessageConnection, type WorkDoneProgressBegin, type WorkDoneProgressEnd, type WorkDoneProgressReport,
} from "vscode-languageserver-protocol/node";

export type ProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

export interface LspPair {
    server: Connection;
    client: MessageConnection;
    /** Every `$/progress` value the client received, in order. */
    progress: ProgressValue[];
    /** Tokens the server asked to create with window/workDoneProgress/create. */
    createdTokens: (string | number)[];
    dispose(): void;
}

export async function startLspPair(): Promise<LspPair> {
    const { port1, port2 } = new MessageChannel();
    const server = createConnection(new PortMessageReader(port1), new PortMessageWriter(port1));
    server.onInitialize(() => ({ capabilities: {} }));
    const client = createMessageConnection(new PortMessageReader(port2), new PortMessageWriter(port2));
    const progress: ProgressValue[] = [];
    const createdTokens: (string | number)[] = [];
    client.onRequest(WorkDoneProgressCreateRequest.type, (p) => { createdTokens.push(p.token); });
    client.onUnhandledProgress((p) => progress.push(p.value as ProgressValue));
    client.onNotification(() => undefined); // window/logMessage etc.
    server.listen();
    client.listen();
    await client.sendRequest(InitializeRequest.type, {
        processId: null, rootUri: null, capabilities: { window: { workDoneProgress: true } },
    });
    await client.sendNotification(InitializedNotification.type, {});
    return {
        server, client, progress, createdTokens,
        dispose() {
            client.dispose();
            server.dispose();
            port1.close();
            port2.close();
        },
    };
}
