/** The benchmark's documents and messages: realistic TypeScript, fixed so runs compare. */

/** The file around the function that is typed (the cursor sits on the blank line between HEAD and TAIL). */
export const TYPING_HEAD = `import { readFile } from "node:fs/promises";
import * as path from "node:path";

export interface Node {
  id: string;
  label: string;
  children: Node[];
}

/** Parses a tree from a JSON file written by \`saveTree\`. */
export async function loadTree(file: string): Promise<Node> {
  const text = await readFile(path.resolve(file), "utf8");
  const data = JSON.parse(text) as Node;
  if (!data.id || !Array.isArray(data.children)) {
    throw new Error(\`\${file}: not a tree\`);
  }
  return data;
}

`;

export const TYPING_TAIL = `

/** Counts the nodes of a tree. */
export function countNodes(root: Node): number {
  let n = 1;
  for (const child of root.children) n += countNodes(child);
  return n;
}
`;

/** The function typed character by character (Enter + the next line's indent is one keystroke, like an editor). */
export const TYPED_FUNCTION = `export function breadthFirst(root: Node): Node[] {
  const order: Node[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const node = frontier.shift()!;
    order.push(node);
    frontier = frontier.concat(node.children);
  }
  return order;
}`;

/** Keystrokes for `text`: single characters, except that a line break carries the next line's indentation. */
export function keystrokes(text: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < text.length; i++) {
        if (text[i] === "\n") {
            let j = i + 1;
            while (text[j] === " ") j++;
            out.push(text.slice(i, j));
            i = j - 1;
        } else {
            out.push(text[i]!);
        }
    }
    return out;
}

/** The A/B document: the cursor goes after AB_CURSOR_MARKER (a blank line inside a function). */
export const AB_MARKER = "const limit = options.limit ?? 100;\n  ";
export const AB_DOC = `${TYPING_HEAD}export interface SearchOptions {
  limit?: number;
  caseSensitive?: boolean;
}

/** Finds nodes whose label contains \`query\`, depth first. */
export function search(root: Node, query: string, options: SearchOptions = {}): Node[] {
  ${AB_MARKER}
  const found: Node[] = [];
  return found;
}
${TYPING_TAIL}`;

/** A scripted five-turn conversation: a question with code, then short follow-ups. */
export const CONVERSATION: readonly string[] = [
    "Here is my tree loader:\n\n```ts\n" + TYPING_HEAD.trim() + "\n```\n\nHow do I find a node by id quickly?",
    "Can you make it work for nested children too?",
    "What if two nodes share an id?",
    "Add a unit test for that case.",
    "Thanks. Rename byId to nodesById everywhere.",
];

/**
 * A long chat message (~3,300 tokens on the fixture's byte-level tokenizer; with the system prompt and a 256-token
 * reply it fits the 4,096-token context uncut) for the prefill-contention run.
 */
export function longMessage(round: number, targetChars = 3200): string {
    const unit = `${TYPING_HEAD}${TYPING_TAIL}`;
    let body = "";
    while (body.length + unit.length < targetChars) body += unit;
    // The round number comes first, so a round's prompt shares only the system prompt with the previous one.
    return `(${round}) Review this file and list the bugs:\n\n\`\`\`ts\n${body}\`\`\``;
}
