import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSlash } from "../../media/chat/composer";

test("composer: slash commands are recognized only at the start and only when known", () => {
    assert.deepEqual(parseSlash("/explain"), { command: "explain", text: "" });
    assert.deepEqual(parseSlash("/fix the off-by-one"), { command: "fix", text: "the off-by-one" });
    assert.deepEqual(parseSlash("/tests\nuse node:test"), { command: "tests", text: "use node:test" });
    assert.deepEqual(parseSlash("/doc"), { command: "doc", text: "" });
    assert.deepEqual(parseSlash("/deploy now"), { text: "/deploy now" });
    assert.deepEqual(parseSlash("please /explain"), { text: "please /explain" });
    assert.deepEqual(parseSlash("/explained"), { text: "/explained" });
});
