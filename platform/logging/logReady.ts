/**
 * The one line a process prints once it serves: `<name> ready at <url>`.
 * Supervisors wait for it (scripts/childProcesses.ts: `npm start`, the bench,
 * the replica test), and with PORT=0 it is the only place the port is told.
 * It is therefore printed at every LOG_LEVEL: under `LOG_LEVEL=warn` an
 * info line would be dropped, and a supervisor would wait for it forever
 * (the first replica test did, 400 s, with nothing printed).
 */
import type { Logger } from "./createLogger.ts";

export function logReady(logger: Logger, fields: Record<string, unknown>, message: string): void {
  logger.child({}, { level: "info" }).info(fields, message);
  // A buffered destination (createLogger's `buffered`) writes it now, not with the next batch.
  logger.flush();
}
