/**
 * package.json `contributes.commands` <-> the command tables. Each area keeps a vscode-free `commandIds.ts`
 * exporting `COMMAND_IDS` (src/commandIds.ts, src/chat/commandIds.ts, ...) and types its command table as
 * `Record<(typeof COMMAND_IDS)[number], ...>`, so the compiler ties table and list together and this test
 * ties list and manifest together. Menus and keybindings may only name contributed commands.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const contributed: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);

/** Every `commandIds.ts` under src/. */
function idModules(): string[] {
    return (readdirSync(path.join(root, "src"), { recursive: true, encoding: "utf8" }) as string[])
        .filter((f) => path.basename(f) === "commandIds.ts")
        .map((f) => path.join(root, "src", f))
        .sort();
}

async function registeredIds(): Promise<Map<string, string>> {
    const owner = new Map<string, string>();
    for (const file of idModules()) {
        const mod = (await import(pathToFileURL(file).href)) as { COMMAND_IDS?: readonly string[] };
        const rel = path.relative(root, file);
        assert.ok(Array.isArray(mod.COMMAND_IDS), `${rel} exports COMMAND_IDS`);
        for (const id of mod.COMMAND_IDS!) {
            assert.ok(!owner.has(id), `${id} is listed by both ${owner.get(id)} and ${rel}`);
            owner.set(id, rel);
        }
    }
    return owner;
}

test("the general area lists its commands in src/commandIds.ts", () => {
    assert.ok(idModules().includes(path.join(root, "src/commandIds.ts")));
});

test("every contributed command is in some area's command table", async () => {
    const owner = await registeredIds();
    const missing = contributed.filter((id) => !owner.has(id));
    assert.deepEqual(missing, [], `no area's COMMAND_IDS lists these (looked in ${idModules().map((f) => path.relative(root, f)).join(", ")})`);
});

test("every command in a command table is contributed in package.json", async () => {
    const owner = await registeredIds();
    const extra = [...owner.keys()].filter((id) => !contributed.includes(id));
    assert.deepEqual(extra, [], "registered but not in contributes.commands");
});

test("contributed commands are unique, titled and namespaced", () => {
    assert.equal(new Set(contributed).size, contributed.length);
    for (const c of pkg.contributes.commands as { command: string; title?: string; category?: string }[]) {
        assert.match(c.command, /^glm4\./);
        assert.ok(c.title, `${c.command} has a title`);
        assert.equal(c.category, "GLM-4", `${c.command} is in the GLM-4 category`);
    }
});

test("menus and keybindings name only contributed commands", () => {
    const used: string[] = [];
    for (const items of Object.values(pkg.contributes.menus ?? {}) as { command?: string }[][]) {
        for (const item of items) if (item.command) used.push(item.command);
    }
    for (const k of (pkg.contributes.keybindings ?? []) as { command: string }[]) used.push(k.command.replace(/^-/, ""));
    assert.ok(used.length > 0);
    assert.deepEqual(used.filter((id) => !contributed.includes(id)), []);
});
