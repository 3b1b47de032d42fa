/**
 * A worker thread that checks one part of the audit chain at a time
 * (chainScanWorker.ts): it reads the part's binary COPY stream on a
 * connection of its own, lays out and hashes each record, and answers the
 * part's runs, problem and matched heads. `verify --full` on a PostgreSQL
 * server runs one per stream, so that reading, laying out and hashing run
 * on more than one core. Memory stays constant: the worker checks each
 * chunk as it arrives, and the database waits while it does.
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

/**
 * The worker's entry. Under tsx (the CLI, tests) this module is TypeScript and
 * the worker loads chainScanWorker.ts through tsx's loader
 * (startChainScanWorker.mjs); in the compiled tree of `npm run build` it is
 * chainScanThread.js with chainScanWorker.js beside it. Bundled into another
 * file (as `npm start` bundles the gateway) there is no worker file to start:
 * null, and the chain is checked on the calling thread.
 */
export const CHAIN_SCAN_WORKER_ENTRY: URL | null = import.meta.url.endsWith("/chainScanThread.ts")
  ? new URL("./startChainScanWorker.mjs", import.meta.url)
  : import.meta.url.endsWith("/chainScanThread.js")
    ? new URL("./chainScanWorker.js", import.meta.url)
    : null;

export class ChainScanThread {
  private readonly worker: Worker;
  private part = 0;
  private pending: { part: number; resolve: (message: FromChainScanWorker) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;

  /** @param url the database's connection string */
  constructor(
    url: string,
    private readonly headAt: ReadonlyMap<number, SignedHead>,
  ) {
    const workerData: ChainScanWorkerData = { url, heads: [...headAt] };
    if (!CHAIN_SCAN_WORKER_ENTRY) throw new Error("no chain scan worker to start: this module was bundled");
    this.worker = new Worker(CHAIN_SCAN_WORKER_ENTRY, { workerData });
    this.worker.on("message", (message: FromChainScanWorker) => {
      if (this.pending?.part === message.part) this.pending.resolve(message);
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      this.pending?.reject(error);
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`the chain scan worker exited (${code})`)));
  }

  /** Checks the records of seq from..to that `sql` (a COPY ... TO STDOUT (FORMAT binary) of BINARY_COPY_COLUMNS) streams. */
  async scan(sql: string, from: number, to: number, maxRuns: number): Promise<PartResult> {
    if (this.failure) throw this.failure;
    const part = ++this.part;
    const answer = await new Promise<FromChainScanWorker>((resolve, reject) => {
      this.pending = { part, resolve, reject };
      this.worker.postMessage({ part, sql, from, to, maxRuns } satisfies ToChainScanWorker);
    });
    this.pending = null;
    if (answer.type === "error") throw new Error(answer.message);
    const { runs, problem, goodHeadSeqs, fragmented } = answer;
    return { runs, problem, goodHeads: goodHeadSeqs.map((seq) => this.headAt.get(seq)!), fragmented };
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
  }
}
