import { test } from "node:test";
import assert from "node:assert/strict";
import { CrashLog, RestartPolicy, serverDownMessage } from "../../src/serverHealth";

test("restart policy allows 3 restarts within 3 minutes, then keeps the server down", () => {
    const p = new RestartPolicy(3, 180_000);
    assert.equal(p.recordCrash(0), true);
    assert.equal(p.recordCrash(10_000), true);
    assert.equal(p.recordCrash(20_000), true);
    assert.equal(p.recordCrash(30_000), false);
    assert.equal(p.recentCrashes(30_000), 4);
});

test("restart policy forgets crashes older than the window", () => {
    const p = new RestartPolicy(3, 180_000);
    p.recordCrash(0);
    p.recordCrash(1_000);
    p.recordCrash(2_000);
    assert.equal(p.recordCrash(181_500), true, "the two oldest crashes left the window");
    assert.equal(p.recentCrashes(181_500), 2);
});

test("restart policy reset gives a clean slate (manual restart)", () => {
    const p = new RestartPolicy(1, 180_000);
    p.recordCrash(0);
    assert.equal(p.recordCrash(1), false);
    p.reset();
    assert.equal(p.recordCrash(2), true);
});

test("crash log names the error line of a Node crash, not the stack", () => {
    const log = new CrashLog();
    for (const line of [
        "/ext/out/server.js:120",
        "    throw new Error('boom');",
        "    ^",
        "",
        "Error: boom",
        "    at Object.<anonymous> (/ext/out/server.js:120:11)",
        "    at node:internal/main/run_main_module:28:49",
        "Node.js v20.19.0",
    ]) log.noteStderr(line);
    log.noteExit(1, null);
    assert.equal(log.lastError(), "Error: boom");
    assert.equal(log.reason(), "Error: boom; the process exited with code 1");
});

test("crash log names llama.cpp asserts and signals", () => {
    const log = new CrashLog();
    log.noteStderr("llama_model_load: loading model tensors");
    log.noteStderr("GGML_ASSERT(ctx) failed");
    log.noteExit(null, "SIGABRT");
    assert.equal(log.reason(), "GGML_ASSERT(ctx) failed; the process was killed by SIGABRT");
});

test("crash log falls back to the last logged error, then to a generic sentence", () => {
    const log = new CrashLog();
    assert.equal(log.reason(), "the server process exited unexpectedly");
    log.noteError("could not bind the model: out of memory");
    assert.equal(log.reason(), "could not bind the model: out of memory");
    log.clear();
    log.noteExit(0, null);
    assert.equal(log.reason(), "the server process exited unexpectedly");
});

test("the down message is one sentence", () => {
    assert.equal(serverDownMessage("Error: boom."), "GLM-4 server is not running: Error: boom.");
    assert.equal(serverDownMessage("it was stopped"), "GLM-4 server is not running: it was stopped.");
});
