/**
 * Stdout for a process that logs a line per request (the gateway's access
 * log): lines are collected and written 8 KiB at a time, or every 250 ms,
 * instead of one write per line. Writes are synchronous (no thread-pool
 * round trip, lines stay in order); what is collected is written on exit
 * (process.exit, a normal end, an uncaught exception), and at once after a
 * line a supervisor waits for (logReady) or an error. Only a hard kill can
 * lose the last 250 ms of lines.
 *
 * A full stdout (a reader that does not keep up) never blocks the event
 * loop: what could not be written stays collected, in order, and goes with
 * the next write. Only on exit does writing wait for the reader.
 */
import { destination } from "pino";

/** Written at once when this much is collected (sonic-boom's largest). */
const BUFFER_BYTES = 8_192;
/** The longest a line waits. */
const FLUSH_EVERY_MS = 250;

export type BufferedStdout = ReturnType<typeof destination>;

/** One per process, whatever number of loggers write to it (tests start several gateways). */
let shared: BufferedStdout | undefined;

export function createBufferedStdout(): BufferedStdout {
  if (shared) return shared;
  let exiting = false;
  const stream = destination({
    dest: process.stdout.fd ?? 1,
    minLength: BUFFER_BYTES,
    periodicFlush: FLUSH_EVERY_MS,
    sync: true,
    // Full: sonic-boom would sleep and retry on the event loop; report it instead (below), except on exit.
    retryEAGAIN: () => exiting,
  });
  stream.on("error", (error: NodeJS.ErrnoException) => {
    // Full: the unwritten lines stay collected and go with the next write (or the next periodic one).
    if (error.code === "EAGAIN" || error.code === "EBUSY") return;
    // Closed (what pino does for the first EPIPE): stop writing.
    if (error.code === "EPIPE") return void Object.assign(stream, { write: () => true, flush: () => {}, flushSync: () => {}, end: () => {} });
    throw error;
  });
  // pino writes a synchronous destination's lines on exit only when nothing is buffered.
  process.once("exit", () => {
    exiting = true;
    try {
      stream.flushSync();
    } catch {
      // stdout closed: nothing can be written anyway
    }
  });
  shared = stream;
  return stream;
}
