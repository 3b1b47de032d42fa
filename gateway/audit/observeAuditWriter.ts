/**
 * The audit writer as the gateway uses it: the same writes, with every failed
 * commit logged (with the request id) and every record counted. Each request
 * leaves exactly one record, so this is also where requests are counted by
 * outcome.
 */
import type { Logger } from "../../platform/logging/createLogger.ts";
import { SpanStatusCode } from "@opentelemetry/api";
import type { Tracing } from "../../platform/observability/createTracing.ts";
import type { AuditEntry } from "./AuditEntry.ts";
import type { AuditWriter } from "./createAuditWriter.ts";

export interface AuditWriterObserver {
  /** The record was committed (or, `committed: false`, could not be: the request failed closed). */
  recorded(entry: AuditEntry, committed: boolean): void;
}

export function observeAuditWriter(writer: AuditWriter, options: { logger: Logger; observer?: AuditWriterObserver; tracing?: Tracing }): AuditWriter {
  const { logger, observer } = options;
  let failing = false;
  return {
    async write(entry) {
      let record;
      // The request's wait for its group commit, in the request's trace.
      const span = options.tracing?.recording() ? options.tracing.tracer.startSpan("audit.commit", { attributes: { "audit.outcome": entry.outcome } }) : undefined;
      try {
        record = await writer.write(entry);
        span?.setAttribute("audit.seq", record.seq.toString());
      } catch (error) {
        span?.setStatus({ code: SpanStatusCode.ERROR, message: "audit commit failed" });
        logger.error({ err: error, requestId: entry.requestId }, "audit commit failed: the request is answered 503 with no data");
        failing = true;
        observer?.recorded(entry, false);
        throw error;
      } finally {
        span?.end();
      }
      if (failing) {
        failing = false;
        logger.info({ requestId: entry.requestId }, "audit commits succeed again");
      }
      observer?.recorded(entry, true);
      return record;
    },
    drain: () => writer.drain(),
    stats: () => writer.stats(),
  };
}
