/**
 * package.json `contributes.configuration` <-> `Glm4Settings` / `DEFAULT_SETTINGS` (server/protocol/settings.ts):
 * the same keys, the same defaults, a description each, and a schema that accepts exactly what the TypeScript
 * type allows (read from the type's syntax with the TypeScript compiler, so an added enum member or an `Auto<>`
 * cannot drift).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import * as path from "node:path";
import ts from "typescript";
import { DEFAULT_SETTINGS, SETTINGS_SECTION } from "../../server/protocol/settings";

const root = path.resolve(import.meta.dirname, "../..");
type Schema = Record<string, unknown>;
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const properties: Record<string, Schema> = pkg.contributes.configuration.properties;

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Dotted leaf keys of the defaults ("glm4.completion.enabled"); arrays are leaves. */
function flatten(obj: Record<string, unknown>, prefix: string, out = new Map<string, unknown>()): Map<string, unknown> {
    for (const [k, v] of Object.entries(obj)) {
        if (isPlainObject(v)) flatten(v, `${prefix}.${k}`, out);
        else out.set(`${prefix}.${k}`, v);
    }
    return out;
}
const defaults = flatten(DEFAULT_SETTINGS as unknown as Record<string, unknown>, SETTINGS_SECTION);

/** A leaf type as a set of members: primitive names and string literals. */
interface LeafType { primitives: Set<"boolean" | "number" | "string" | "string[]">; literals: string[] }

/** Reads `Glm4Settings` from the source: leaf key -> members. Handles nested interfaces, literal unions, `Auto<T>`. */
function settingsTypes(): Map<string, LeafType> {
    const file = path.join(root, "server/protocol/settings.ts");
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    const interfaces = new Map<string, ts.InterfaceDeclaration>();
    const aliases = new Map<string, ts.TypeAliasDeclaration>();
    source.forEachChild((n) => {
        if (ts.isInterfaceDeclaration(n)) interfaces.set(n.name.text, n);
        if (ts.isTypeAliasDeclaration(n)) aliases.set(n.name.text, n);
    });
    const out = new Map<string, LeafType>();

    const members = (node: ts.TypeNode, subst: Map<string, ts.TypeNode>, leaf: LeafType, where: string): void => {
        if (ts.isParenthesizedTypeNode(node)) return members(node.type, subst, leaf, where);
        if (ts.isUnionTypeNode(node)) return node.types.forEach((t) => members(t, subst, leaf, where));
        if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return void leaf.literals.push(node.literal.text);
        if (node.kind === ts.SyntaxKind.BooleanKeyword) return void leaf.primitives.add("boolean");
        if (node.kind === ts.SyntaxKind.NumberKeyword) return void leaf.primitives.add("number");
        if (node.kind === ts.SyntaxKind.StringKeyword) return void leaf.primitives.add("string");
        if (ts.isArrayTypeNode(node) && node.elementType.kind === ts.SyntaxKind.StringKeyword) return void leaf.primitives.add("string[]");
        if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
            const name = node.typeName.text;
            const bound = subst.get(name);
            if (bound) return members(bound, new Map(), leaf, where);
            const alias = aliases.get(name);
            if (alias) {
                const next = new Map<string, ts.TypeNode>();
                alias.typeParameters?.forEach((p, i) => next.set(p.name.text, node.typeArguments![i]!));
                return members(alias.type, next, leaf, where);
            }
        }
        throw new Error(`${where}: unsupported setting type ${node.getText()}`);
    };
    const walk = (decl: ts.InterfaceDeclaration, prefix: string): void => {
        for (const m of decl.members) {
            if (!ts.isPropertySignature(m) || !m.type || !ts.isIdentifier(m.name)) continue;
            const key = `${prefix}.${m.name.text}`;
            const nested = ts.isTypeReferenceNode(m.type) && ts.isIdentifier(m.type.typeName) ? interfaces.get(m.type.typeName.text) : undefined;
            if (nested) walk(nested, key);
            else {
                const leaf: LeafType = { primitives: new Set(), literals: [] };
                members(m.type, new Map(), leaf, key);
                out.set(key, leaf);
            }
        }
    };
    walk(interfaces.get("Glm4Settings")!, SETTINGS_SECTION);
    return out;
}

/** Enough JSON Schema to say what VS Code's settings validation accepts: type, enum, anyOf, oneOf, minimum, items. */
function accepts(schema: Schema, value: unknown): boolean {
    const typeOk = (t: string): boolean =>
        t === "array" ? Array.isArray(value)
        : t === "object" ? isPlainObject(value)
        : t === "integer" ? Number.isInteger(value)
        : t === "null" ? value === null
        : typeof value === t;
    if (schema.type !== undefined && !([] as string[]).concat(schema.type as string | string[]).some(typeOk)) return false;
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => isDeepStrictEqual(e, value))) return false;
    if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => accepts(s as Schema, value))) return false;
    if (Array.isArray(schema.oneOf) && schema.oneOf.filter((s) => accepts(s as Schema, value)).length !== 1) return false;
    if (typeof value === "number" && typeof schema.minimum === "number" && value < schema.minimum) return false;
    if (Array.isArray(value) && isPlainObject(schema.items) && !value.every((v) => accepts(schema.items as Schema, v))) return false;
    return true;
}

test("package.json settings and DEFAULT_SETTINGS have the same keys", () => {
    assert.deepEqual(Object.keys(properties).sort(), [...defaults.keys()].sort());
});

test("package.json defaults equal DEFAULT_SETTINGS", () => {
    for (const [key, value] of defaults) assert.deepEqual(properties[key]?.default, value, key);
});

test("every setting has a description", () => {
    for (const [key, schema] of Object.entries(properties)) {
        const text = schema.markdownDescription ?? schema.description;
        assert.ok(typeof text === "string" && text.length > 10, `${key} has no description`);
    }
});

test("every setting's schema accepts exactly what its TypeScript type allows", () => {
    const types = settingsTypes();
    assert.deepEqual([...types.keys()].sort(), [...defaults.keys()].sort(), "Glm4Settings and DEFAULT_SETTINGS have the same leaves");
    for (const [key, leaf] of types) {
        const schema = properties[key]!;
        const def = defaults.get(key);
        const sampleNumber = typeof def === "number" ? def + 1 : Math.max(8, typeof schema.minimum === "number" ? schema.minimum : 0);
        const good: unknown[] = [def, ...leaf.literals];
        const bad: unknown[] = [];
        if (leaf.primitives.has("boolean")) good.push(true, false); else bad.push(true);
        if (leaf.primitives.has("number")) good.push(sampleNumber); else bad.push(sampleNumber);
        if (leaf.primitives.has("string")) good.push("some text"); else bad.push("not-a-valid-value");
        if (leaf.primitives.has("string[]")) good.push([], ["a", "b"]); else bad.push(["a"]);
        if (leaf.primitives.has("string[]")) bad.push([1]);
        bad.push({});
        for (const v of good) assert.ok(accepts(schema, v), `${key}: the schema rejects ${JSON.stringify(v)}, which the type allows`);
        for (const v of bad) assert.ok(!accepts(schema, v), `${key}: the schema accepts ${JSON.stringify(v)}, which the type does not allow`);
        if (leaf.literals.length && !leaf.primitives.has("string")) {
            // A closed set of strings: the schema lists exactly those (so the settings UI offers exactly them).
            const listed = new Set<unknown>([schema.enum, ...((schema.anyOf as Schema[] | undefined) ?? []).map((s) => s.enum)].flat().filter((v) => v !== undefined));
            assert.deepEqual([...listed].sort(), [...leaf.literals].sort(), `${key}: enum values`);
        }
    }
});
