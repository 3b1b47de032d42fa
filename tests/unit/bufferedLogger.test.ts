/**
 * The gateway's stdout logger collects lines (createLogger's `buffered`):
 * every line still comes out, in order, whether written by the periodic
 * flush, after an error line, or when the process exits.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const LOGGER = fileURLToPath(new URL("../../platform/logging/createLogger.ts", import.meta.url));
const LOG_READY = fileURLToPath(new URL("../../platform/logging/logReady.ts", import.meta.url));

/** Runs `body` in a child process with `logger` (buffered); resolves with its stdout lines. */
function runChild(body: string): Promise<Array<{ msg: string; level: string }>> {
  const script = `
    const { createLogger } = await import(${JSON.stringify(LOGGER)});
    const { logReady } = await import(${JSON.stringify(LOG_READY)});
    const logger = createLogger({ service: "test", buffered: true });
    ${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const lines: Array<{ msg: string; level: string }> = [];
    let pending = "";
    child.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const complete = pending.split("\n");
      pending = complete.pop()!;
      for (const line of complete) lines.push(JSON.parse(line) as { msg: string; level: string });
    });
    child.once("error", reject);
    child.once("close", () => resolve(lines));
  });
}

describe("the buffered stdout logger", () => {
  it("writes every line in order, across periodic writes, errors and exit, and loses none", async () => {
    const lines = await runChild(`
      logReady(logger, {}, "test ready at http://127.0.0.1:1/");
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let i = 0; i < 3; i++) logger.info("line " + i);
      logger.error("an error");
      logger.info("after the error");
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let i = 0; i < 200; i++) logger.info("request " + i);
      process.exit(0);
    `);
    expect(lines.map((line) => line.msg)).toEqual([
      "test ready at http://127.0.0.1:1/",
      "line 0",
      "line 1",
      "line 2",
      "an error",
      "after the error",
      ...Array.from({ length: 200 }, (_, i) => `request ${i}`),
    ]);
  }, 30_000);
});

describe("the buffered stdout logger behind a reader that stops reading", () => {
  it("does not block the event loop, and every line still comes out in order once the reader reads again", async () => {
    const script = `
      const { createLogger } = await import(${JSON.stringify(LOGGER)});
      const logger = createLogger({ service: "test", buffered: true });
      // Far more than a pipe holds: a blocking write would stop here until the parent reads.
      for (let i = 0; i < 20000; i++) {
        logger.info({ filler: "x".repeat(100) }, "line " + i);
        if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      process.stderr.write("logged\\n");
      await new Promise((resolve) => process.stdin.once("data", resolve));
      process.exit(0);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "pipe"] });
    child.stdout.pause();
    // The child gets here only if its writes did not wait for this reader (it is not reading yet).
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => chunk.toString().includes("logged") && resolve());
      child.once("exit", () => reject(new Error("the child exited before logging everything")));
    });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stdout.resume();
    child.stdin.write("go\n");
    await new Promise((resolve) => child.once("close", resolve));
    const messages = text.split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(Array.from({ length: 20000 }, (_, i) => `line ${i}`));
  }, 60_000);
});
