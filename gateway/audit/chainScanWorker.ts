/**
 * The worker thread side of ChainScanThread (chainScanThread.ts): checks one
 * part of the audit chain at a time, reading its binary COPY stream on a
 * connection of its own and laying out and hashing each record here, and
 * answers what it found.
 */
import { parentPort, workerData } from "node:worker_threads";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { BinaryCopyChainReader } from "./binaryCopyChainScan.ts";
import { PartScan, type Problem, type Run } from "./chainPartScan.ts";
import type { SignedHead } from "./startChainHeadSigning.ts";

/** What the main thread sends: a part to check (a COPY ... TO STDOUT (FORMAT binary) of BINARY_COPY_COLUMNS). */
export interface ToChainScanWorker {
  part: number;
  sql: string;
  from: number;
  to: number;
  maxRuns: number;
}

/** What the worker answers: the part's scan (possibly before its end, once too fragmented), or why it failed. */
export type FromChainScanWorker =
  | { type: "done"; part: number; runs: Run[]; problem: Problem | null; goodHeadSeqs: number[]; fragmented: boolean }
  | { type: "error"; part: number; message: string };

export interface ChainScanWorkerData {
  /** The database's connection string. */
  url: string;
  /** The signed heads to match, as [seq, head] pairs. */
  heads: Array<[number, SignedHead]>;
}

const port = parentPort!;
const data = workerData as ChainScanWorkerData;
const heads = new Map(data.heads);
let client: pg.Client | null = null;

async function scanPart(message: ToChainScanWorker): Promise<FromChainScanWorker> {
  client ??= await connect();
  const scan = new PartScan(heads, message.maxRuns);
  const reader = new BinaryCopyChainReader(scan, message.from, message.to);
  const stream = client.query(copyTo(message.sql));
  let stopped = false;
  for await (const chunk of stream) {
    if (!reader.push(chunk as Buffer)) {
      // Too fragmented: the rest is not read, and the connection, still copying, is not reused.
      stopped = true;
      stream.destroy();
      await closeClient();
      break;
    }
  }
  if (!stopped) reader.end();
  return { type: "done", part: message.part, runs: scan.runs, problem: scan.problem, goodHeadSeqs: scan.goodHeads.map((head) => Number(head.seq)), fragmented: scan.fragmented };
}

async function connect(): Promise<pg.Client> {
  const connected = new pg.Client({ connectionString: data.url });
  connected.on("error", () => {}); // reported by the query that fails
  await connected.connect();
  return connected;
}

async function closeClient(): Promise<void> {
  const closing = client;
  client = null;
  await closing?.end().catch(() => {});
}

port.on("message", (message: ToChainScanWorker) => {
  scanPart(message).then(
    (answer) => port.postMessage(answer),
    async (error: Error) => {
      await closeClient();
      port.postMessage({ type: "error", part: message.part, message: error.message } satisfies FromChainScanWorker);
    },
  );
});
port.on("close", () => void closeClient());
