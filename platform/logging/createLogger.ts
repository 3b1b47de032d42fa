/**
 * Every process's structured logger: pino, one JSON object per line on
 * stdout, with the service's name on every line. Lines about a request carry
 * its `requestId` (see ../http/requestId.ts). Apollo Server and
 * @apollo/gateway take it as their `logger`.
 */
import { pino, stdTimeFunctions, type DestinationStream, type Logger, type LevelWithSilent } from "pino";
import { createBufferedStdout } from "./createBufferedStdout.ts";

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
  /**
   * Collect stdout lines and write them 8 KiB at a time (at least every
   * 250 ms) instead of one write per line; `error` and `fatal` lines are
   * written at once, and what is collected is written on exit (see
   * ./createBufferedStdout.ts). Ignored with a `destination`. @default false
   */
  buffered?: boolean;
}

/** pino's number for `error`: lines at this level or above are written at once. */
const ERROR_LEVEL = 50;

export function createLogger(options: LoggerOptions): Logger {
  const buffered = options.buffered && !options.destination ? createBufferedStdout() : undefined;
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service, pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      // Level names, not numbers: readable without a decoder.
      formatters: { level: (label) => ({ level: label }) },
      // Defence in depth: no secret ever belongs in a log line.
      redact: { paths: ["authorization", "headers.authorization", "*.authorization", "token"], censor: "[redacted]" },
      ...(buffered
        ? {
            hooks: {
              logMethod(args, method, level) {
                method.apply(this, args);
                if (level >= ERROR_LEVEL) buffered.flush();
              },
            },
          }
        : {}),
    },
    buffered ?? options.destination,
  );
}

/** A logger that drops everything (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
