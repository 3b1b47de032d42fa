/**
 * The worker thread side of ChainScanThread (chainScanThread.ts): checks one
 * part of the audit chain at a time from the binary COPY bytes the main
 * thread reads and sends here, and answers what it found. Each chunk is
 * acknowledged once checked, so the main thread keeps only a few in flight.
 */
import { parentPort, workerData } from "node:worker_threads";
import { BinaryCopyChainReader } from "./binaryCopyChainScan.ts";
import { PartScan, type Problem, type Run } from "./chainPartScan.ts";
import type { SignedHead } from "./startChainHeadSigning.ts";

/** What the main thread sends: a part begins, a chunk of its COPY stream, its end. */
export type ToChainScanWorker =
  | { type: "begin"; part: number; from: number; to: number; maxRuns: number }
  | { type: "chunk"; part: number; data: ArrayBuffer }
  | { type: "end"; part: number };

/** What the worker answers: a chunk checked, the part's scan (possibly before its end, once too fragmented), or why it failed. */
export type FromChainScanWorker =
  | { type: "ack"; part: number }
  | { type: "done"; part: number; runs: Run[]; problem: Problem | null; goodHeadSeqs: number[]; fragmented: boolean }
  | { type: "error"; part: number; message: string };

/** The signed heads to match, as [seq, head] pairs. */
export interface ChainScanWorkerData {
  heads: Array<[number, SignedHead]>;
}

const port = parentPort!;
const heads = new Map((workerData as ChainScanWorkerData).heads);
let part = -1;
let scan: PartScan | null = null;
let reader: BinaryCopyChainReader | null = null;
let answered = true;

function answer(message: FromChainScanWorker): void {
  port.postMessage(message);
}

function done(): void {
  answered = true;
  answer({ type: "done", part, runs: scan!.runs, problem: scan!.problem, goodHeadSeqs: scan!.goodHeads.map((head) => Number(head.seq)), fragmented: scan!.fragmented });
}

port.on("message", (message: ToChainScanWorker) => {
  try {
    if (message.type === "begin") {
      part = message.part;
      scan = new PartScan(heads, message.maxRuns);
      reader = new BinaryCopyChainReader(scan, message.from, message.to);
      answered = false;
      return;
    }
    if (message.part !== part) return;
    if (message.type === "chunk") {
      if (!answered && !reader!.push(Buffer.from(message.data))) done();
      answer({ type: "ack", part });
      return;
    }
    if (!answered) {
      reader!.end();
      done();
    }
  } catch (error) {
    answered = true;
    answer({ type: "error", part, message: (error as Error).message });
  }
});
