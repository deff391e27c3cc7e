/**
 * Every custom LSP message in server/protocol/*.ts is declared in the namespace idiom (`method`,
 * `messageDirection`, `type = new XType(method)`), has a doc comment, has a unique `glm4/` method, and is wired:
 * a client -> server message has a handler in server code, a server -> client message is sent by server code
 * and handled in src/. Messages are always used through `.type`, never a bare method string. (Grep-level: the
 * handler must be registered as `onRequest(Name.type` / `onNotification(Name.type`.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const root = path.resolve(import.meta.dirname, "../..");

interface Message {
    name: string;
    file: string;
    method?: string;
    direction?: string;
    typeCtor?: string;
    typeArg?: string;
    doc: boolean;
}

function tsFiles(dir: string): string[] {
    return (readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" }) as string[])
        .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
        .map((f) => path.join(dir, f));
}

function messages(): Message[] {
    const out: Message[] = [];
    for (const rel of tsFiles("server/protocol")) {
        const text = readFileSync(path.join(root, rel), "utf8");
        const source = ts.createSourceFile(rel, text, ts.ScriptTarget.ES2022, true);
        source.forEachChild((node) => {
            if (!ts.isModuleDeclaration(node) || !ts.isIdentifier(node.name) || !node.body || !ts.isModuleBlock(node.body)) return;
            const m: Message = {
                name: node.name.text,
                file: rel,
                doc: (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []).some((r) => text.slice(r.pos, r.end).startsWith("/**")),
            };
            for (const stmt of node.body.statements) {
                if (!ts.isVariableStatement(stmt)) continue;
                for (const d of stmt.declarationList.declarations) {
                    if (!ts.isIdentifier(d.name) || !d.initializer) continue;
                    const init = d.initializer;
                    if (d.name.text === "method" && ts.isStringLiteral(init)) m.method = init.text;
                    if (d.name.text === "messageDirection" && ts.isPropertyAccessExpression(init) && init.expression.getText() === "MessageDirection") m.direction = init.name.text;
                    if (d.name.text === "type" && ts.isNewExpression(init)) {
                        m.typeCtor = init.expression.getText();
                        m.typeArg = init.arguments?.[0]?.getText();
                    }
                }
            }
            out.push(m);
        });
    }
    return out;
}

const all = messages();
const read = (files: string[]): string => files.map((f) => readFileSync(path.join(root, f), "utf8")).join("\n");
const serverCode = read(tsFiles("server").filter((f) => !f.startsWith(path.join("server", "protocol"))));
const clientCode = read(tsFiles("src"));
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("server/protocol declares custom messages", () => {
    assert.ok(all.length >= 3, `found ${all.map((m) => m.name).join(", ")}`);
});

test("every message has method, messageDirection, type and a doc comment", () => {
    for (const m of all) {
        const where = `${m.file}: ${m.name}`;
        assert.match(m.method ?? "", /^glm4\/[\w/]+$/, `${where}: method is a "glm4/..." string literal`);
        assert.ok(["clientToServer", "serverToClient", "both"].includes(m.direction ?? ""), `${where}: messageDirection is MessageDirection.<direction>`);
        assert.match(m.typeCtor ?? "", /^(RequestType0?|NotificationType0?|ProgressType)$/, `${where}: type = new RequestType/NotificationType(...)`);
        assert.equal(m.typeArg, "method", `${where}: type is built from \`method\``);
        assert.ok(m.doc, `${where}: has a /** doc comment */ (direction, params, result, errors, cancellation)`);
        const isRequest = m.typeCtor!.startsWith("Request");
        assert.equal(/Request$/.test(m.name), isRequest, `${where}: a request's name ends in Request, a notification's does not`);
    }
});

test("methods are unique", () => {
    const methods = all.map((m) => m.method);
    assert.equal(new Set(methods).size, methods.length, methods.join(", "));
});

/** `.on...(Name.type` / `.send...(Name.type` in `code`. */
function uses(code: string, calls: string[], name: string): boolean {
    return new RegExp(`\\.(${calls.join("|")})\\(\\s*${esc(name)}\\.type\\b`).test(code);
}

test("client -> server messages have a handler in server code", () => {
    const missing = all
        .filter((m) => m.direction !== "serverToClient" && !uses(serverCode, ["onRequest", "onNotification"], m.name))
        .map((m) => `${m.name} (${m.method}): no onRequest/onNotification(${m.name}.type, ...) in server/`);
    assert.deepEqual(missing, []);
});

test("server -> client messages are sent by server code and handled in src/", () => {
    const missing: string[] = [];
    for (const m of all.filter((x) => x.direction !== "clientToServer")) {
        if (!uses(serverCode, ["sendRequest", "sendNotification"], m.name)) missing.push(`${m.name} (${m.method}): no sendRequest/sendNotification(${m.name}.type, ...) in server/`);
        if (!uses(clientCode, ["onRequest", "onNotification"], m.name)) missing.push(`${m.name} (${m.method}): no onRequest/onNotification(${m.name}.type, ...) in src/`);
    }
    assert.deepEqual(missing, []);
});

test("messages are never sent or handled by a bare method string", () => {
    const bare = /\.(sendRequest|sendNotification|onRequest|onNotification)\(\s*["'`]glm4\//;
    assert.ok(!bare.test(serverCode), "server/ uses a bare \"glm4/...\" method string; use Name.type");
    assert.ok(!bare.test(clientCode), "src/ uses a bare \"glm4/...\" method string; use Name.type");
});

test("the README's protocol table lists every custom message with its direction and module", () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const arrow = { clientToServer: "client -> server", serverToClient: "server -> client" } as const;
    const missing = all
        .filter((m) => {
            const row = readme.split("\n").find((line) => line.startsWith(`| \`${m.method}\` |`));
            const direction = arrow[m.direction as keyof typeof arrow] ?? "both";
            return !row || !row.includes(direction) || !row.includes(path.basename(m.file));
        })
        .map((m) => `${m.method} (${m.direction}, ${path.basename(m.file)})`);
    assert.deepEqual(missing, [], "README.md 'Protocol' table: add or fix these rows");
});
