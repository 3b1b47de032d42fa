/**
 * A worker thread that lays out and hashes the records of one part of the
 * audit chain at a time (chainScanWorker.ts) while this thread reads the
 * part's binary COPY stream and hands it the chunks. `verify --full` on a
 * PostgreSQL server runs one per stream, so that reading, laying out and
 * hashing overlap on more than one core. Memory stays constant: at most
 * IN_FLIGHT chunks wait for the worker, and the COPY stream is not read
 * further until it has caught up (the database then waits too).
 */
import { Worker } from "node:worker_threads";
import type { Problem, Run } from "./chainPartScan.ts";
import type { ChainScanWorkerData, FromChainScanWorker, ToChainScanWorker } from "./chainScanWorker.ts";
import type { SignedHead } from "./startChainHeadSigning.ts";

/** What checking one part found (what PartScan holds once a reader has fed it). */
export interface PartResult {
  runs: Run[];
  problem: Problem | null;
  goodHeads: SignedHead[];
  fragmented: boolean;
}

/** Chunks sent and not yet checked, at most. */
const IN_FLIGHT = 8;

export class ChainScanThread {
  private readonly worker: Worker;
  private part = 0;
  private inFlight = 0;
  private result: Extract<FromChainScanWorker, { type: "done" }> | null = null;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly headAt: ReadonlyMap<number, SignedHead>) {
    const workerData: ChainScanWorkerData = { heads: [...headAt] };
    this.worker = new Worker(new URL("./startChainScanWorker.mjs", import.meta.url), { workerData });
    this.worker.on("message", (message: FromChainScanWorker) => {
      if (message.part !== this.part) return; // an earlier part's late acknowledgement
      if (message.type === "ack") this.inFlight--;
      else if (message.type === "done") this.result = message;
      else this.failure = new Error(message.message);
      this.signal();
    });
    this.worker.on("error", (error) => {
      this.failure = error;
      this.signal();
    });
    this.worker.on("exit", (code) => {
      this.failure ??= new Error(`the chain scan worker exited (${code})`);
      this.signal();
    });
  }

  /** Checks the records of seq from..to in a binary COPY stream of BINARY_COPY_COLUMNS; stops reading it once the part is too fragmented. */
  async scan(chunks: AsyncIterable<Buffer>, from: number, to: number, maxRuns: number): Promise<PartResult> {
    const part = ++this.part;
    this.inFlight = 0;
    this.result = null;
    if (this.failure) throw this.failure;
    this.send({ type: "begin", part, from, to, maxRuns });
    for await (const chunk of chunks) {
      if (this.result || this.failure) break; // answered early (too fragmented) or failed: the rest is not read
      const data = new Uint8Array(chunk.length);
      data.set(chunk);
      this.send({ type: "chunk", part, data: data.buffer }, [data.buffer]);
      this.inFlight++;
      while (this.inFlight >= IN_FLIGHT && !this.result && !this.failure) await this.next();
    }
    if (!this.result && !this.failure) {
      this.send({ type: "end", part });
      while (!this.result && !this.failure) await this.next();
    }
    if (this.failure) throw this.failure;
    const { runs, problem, goodHeadSeqs, fragmented } = this.result!;
    return { runs, problem, goodHeads: goodHeadSeqs.map((seq) => this.headAt.get(seq)!), fragmented };
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
  }

  private send(message: ToChainScanWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private next(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
