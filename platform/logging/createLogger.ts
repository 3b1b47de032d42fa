/**
 * Every process's structured logger: pino, one JSON object per line on
 * stdout, with the service's name on every line. Lines about a request carry
 * its `requestId` (see ../http/requestId.ts). Apollo Server and
 * @apollo/gateway take it as their `logger`.
 */
import { pino, stdTimeFunctions, type DestinationStream, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

/** The levels `LOG_LEVEL` accepts. */
export const LOG_LEVELS: readonly LevelWithSilent[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export function isLogLevel(value: string): value is LevelWithSilent {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export interface LoggerOptions {
  /** Written as `service` on every line, e.g. `gateway` or `tax`. */
  service: string;
  /** @default "info" */
  level?: LevelWithSilent;
  /** Where lines go. @default stdout */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service, pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      // Level names, not numbers: readable without a decoder.
      formatters: { level: (label) => ({ level: label }) },
      // Defence in depth: no secret ever belongs in a log line.
      redact: { paths: ["authorization", "headers.authorization", "*.authorization", "token"], censor: "[redacted]" },
    },
    options.destination,
  );
}

/** A logger that drops everything (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
