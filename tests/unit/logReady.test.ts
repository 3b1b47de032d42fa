/**
 * A process's `ready at <url>` line is what supervisors (npm start, the bench,
 * the replica test) wait for: it shows at every LOG_LEVEL, while the level
 * still silences everything else.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../platform/logging/createLogger.ts";
import { logReady } from "../../platform/logging/logReady.ts";

function capture(): { destination: Writable; lines: () => Array<{ level: string; msg: string }> } {
  let text = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { destination, lines: () => text.split("\n").filter(Boolean).map((line) => JSON.parse(line)) };
}

describe("the ready line", () => {
  for (const level of ["warn", "error", "silent"] as const) {
    it(`is printed under LOG_LEVEL=${level}, and other info lines are not`, async () => {
      const { destination, lines } = capture();
      const logger = createLogger({ service: "gateway", level, destination });
      logger.info("an ordinary info line");
      logReady(logger, { url: "http://127.0.0.1:4000/graphql" }, "gateway ready at http://127.0.0.1:4000/graphql");
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines()).toEqual([expect.objectContaining({ level: "info", msg: "gateway ready at http://127.0.0.1:4000/graphql", service: "gateway" })]);
    });
  }
});
