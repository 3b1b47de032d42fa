/**
 * Keeps the hourly rollups close to the log between views: every interval
 * the gateway rolls up what was committed since the last refresh, so the
 * first view after a busy quiet spell does not pay for all of it. Replicas
 * sharing one database take turns (the refresh's advisory lock); the request
 * path never waits for this. The gateway passes its driver session: the
 * refresh is one prepared statement, with no ORM work on the event loop.
 */
import type { Logger } from "../../../platform/logging/createLogger.ts";
import type { RollupSource } from "./RollupSource.ts";
import { refreshAuditRollups } from "./refreshAuditRollups.ts";

export interface RollupRefresh {
  stop(): Promise<void>;
}

/** @param intervalMs 0: only when a view asks (auditSummary, auditAnomalies, the CLI) */
export function startRollupRefresh(options: { source: RollupSource; intervalMs: number; logger?: Logger }): RollupRefresh {
  let running: Promise<void> = Promise.resolve();
  const refresh = () =>
    (running = running.then(async () => {
      try {
        await refreshAuditRollups(options.source);
      } catch (error) {
        // Retried next interval; a view refreshes on its own anyway.
        options.logger?.error({ err: error }, "could not refresh the audit rollups");
      }
    }));
  const timer = options.intervalMs > 0 ? setInterval(refresh, options.intervalMs) : undefined;
  timer?.unref();
  return {
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
