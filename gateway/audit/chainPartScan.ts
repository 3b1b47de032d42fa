/**
 * What checking one part of the audit chain (a partition, or a range of
 * records) finds, whatever order its records arrive in: runs of consecutive
 * records each linked to the one before, the part's lowest-seq problem, and
 * the signed heads whose record carries the signed hash. Each hash is
 * recomputed by the reader that feeds it; the links between runs, gaps and
 * duplicates are checked when the parts' runs are put together in seq order
 * (verifyAuditChain.ts).
 */
import type { SignedHead } from "./startChainHeadSigning.ts";

/** Consecutive records, each linked to the one before. */
export interface Run {
  first: number;
  last: number;
  firstPrevHash: string;
  lastHash: string;
}

export type ProblemKind = "duplicate" | "missing" | "link" | "changed" | "head";

export interface Problem {
  seq: number;
  kind: ProblemKind;
}

/** Which of two problems at the same record is named: the one checked first. */
export const PROBLEM_RANK: Record<ProblemKind, number> = { duplicate: 0, missing: 1, link: 2, changed: 3, head: 4 };

/** A record that came before its predecessor, waiting for it. */
export interface WaitingRecord {
  seq: number;
  prevHash: string;
  hash: string;
}

/** Records kept waiting for their predecessor, at most, by default (about 250 bytes each). */
const WAITING_LIMIT = 50_000;

/**
 * A part's scan, fed record by record in arrival order. A reader calls, per
 * record: `follows(seq)`; then `extend` (its prevHash compared with the
 * previous record's hash), or, for a record ahead of the current run,
 * `canWait` and `wait`, or else `endRun` with the previous record's hash and
 * `startRun`; `changed` when its recomputed hash differs; `checkHead` when
 * `hasHead(seq)`; then, while `next()` gives a waiting record that now
 * follows, `extend` with it. At the end, `finish`.
 *
 * A table appended in seq order is read back in seq order but for records
 * written into space left in earlier pages: those come a little ahead of
 * their place. They wait (a bounded number of them) until the run reaches
 * them, instead of each breaking the run in three. When no more can wait
 * (`stuck`), the run ends and the lowest waiting record starts the next.
 */
export class PartScan {
  readonly runs: Run[] = [];
  /** The part's lowest-seq problem. */
  problem: Problem | null = null;
  /** Signed heads whose record carries the signed hash. */
  readonly goodHeads: SignedHead[] = [];
  /** More runs than `maxRuns`: the part is read again in seq order. */
  fragmented = false;
  private run: Run | null = null;
  private readonly waiting = new Map<number, WaitingRecord>();

  constructor(
    private readonly headAt: ReadonlyMap<number, SignedHead>,
    private readonly maxRuns: number,
    private readonly waitingLimit = WAITING_LIMIT,
  ) {}

  /** Whether record `seq` continues the current run (it follows the previous record added). */
  follows(seq: number): boolean {
    return this.run !== null && seq === this.run.last + 1;
  }

  /** Adds record `seq`, which follows the previous record; `linked`: its prevHash is that record's hash. */
  extend(seq: number, linked: boolean): void {
    if (!linked) this.fail(seq, "link");
    this.run!.last = seq;
  }

  /** Closes the current run, if any, with the hash of its last record. */
  endRun(lastHash: string): void {
    if (this.run) this.run.lastHash = lastHash;
  }

  /** Adds record `seq` as the first of a new run. @returns false once the part is too fragmented to keep as runs */
  startRun(seq: number, prevHash: string): boolean {
    this.run = { first: seq, last: seq, firstPrevHash: prevHash, lastHash: "" };
    this.runs.push(this.run);
    if (this.runs.length > this.maxRuns) this.fragmented = true;
    return !this.fragmented;
  }

  /** Whether record `seq`, ahead of the current run, can wait for it. */
  canWait(seq: number): boolean {
    return this.run !== null && seq > this.run.last + 1 && this.waiting.size < this.waitingLimit && !this.waiting.has(seq);
  }

  /**
   * Whether record `seq`, ahead of the current run, finds no room to wait:
   * the run itself waits for a record that is not coming soon (stored
   * behind where the scan began: a synchronized scan starts mid-table).
   * The reader then ends the run and goes on from the lowest waiting record.
   */
  stuck(seq: number): boolean {
    return this.run !== null && seq > this.run.last + 1 && this.waiting.size >= this.waitingLimit;
  }

  /** The lowest waiting record, taken out of waiting (to start a run with). */
  takeLowestWaiting(): WaitingRecord {
    let lowest: WaitingRecord | null = null;
    for (const record of this.waiting.values()) if (!lowest || record.seq < lowest.seq) lowest = record;
    this.waiting.delete(lowest!.seq);
    return lowest!;
  }

  wait(record: WaitingRecord): void {
    this.waiting.set(record.seq, record);
  }

  /** The waiting record that follows the current run, taken out of waiting. */
  next(): WaitingRecord | undefined {
    if (this.waiting.size === 0 || this.run === null) return undefined;
    const record = this.waiting.get(this.run.last + 1);
    if (record) this.waiting.delete(record.seq);
    return record;
  }

  /** The part ended: closes the current run, and makes runs of the records still waiting (their predecessor was not in this part). */
  finish(lastHash: string | null): void {
    if (lastHash !== null) this.endRun(lastHash);
    let run: Run | null = null;
    for (const record of [...this.waiting.values()].sort((a, b) => a.seq - b.seq)) {
      if (run && record.seq === run.last + 1 && record.prevHash === run.lastHash) {
        run.last = record.seq;
        run.lastHash = record.hash;
      } else {
        run = { first: record.seq, last: record.seq, firstPrevHash: record.prevHash, lastHash: record.hash };
        this.runs.push(run);
      }
    }
    this.waiting.clear();
    if (this.runs.length > this.maxRuns) this.fragmented = true;
  }

  /** Record `seq`'s stored hash is not the hash of its content. */
  changed(seq: number): void {
    this.fail(seq, "changed");
  }

  hasHead(seq: number): boolean {
    return this.headAt.has(seq);
  }

  /** Record `seq`, at which a head was signed, carries `hash`. */
  checkHead(seq: number, hash: string): void {
    const head = this.headAt.get(seq)!;
    if (head.hash !== hash) this.fail(seq, "head");
    else this.goodHeads.push(head);
  }

  /** Keeps the lowest-seq problem; at the same record, the one checked first in seq order (PROBLEM_RANK), whatever order they were found in. */
  private fail(seq: number, kind: ProblemKind): void {
    const problem = this.problem;
    if (!problem || seq < problem.seq || (seq === problem.seq && PROBLEM_RANK[kind] < PROBLEM_RANK[problem.kind])) this.problem = { seq, kind };
  }
}
