/**
 * Entry point of the language server: `node out/server.js --stdio` (any LSP client), or started by the
 * extension over IPC. Never imports `vscode`.
 */
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startServer } from "./server";

const connection = createConnection(ProposedFeatures.all);
const server = startServer(connection);
connection.onExit(() => { void server.dispose().finally(() => process.exit(0)); });
process.on("unhandledRejection", (e) => { server.context.log.error(`unhandled rejection: ${(e as Error)?.stack ?? e}`); });
process.on("uncaughtException", (e) => { server.context.log.error(`uncaught exception: ${e.stack ?? e}`); });
connection.listen();
