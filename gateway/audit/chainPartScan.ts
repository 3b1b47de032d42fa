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

/**
 * A part's scan, fed record by record in arrival order. A reader calls, per
 * record: `follows(seq)`; then `extend` (its prevHash compared with the
 * previous record's hash) or `endRun` with the previous record's hash and
 * `startRun`; `changed` when its recomputed hash differs; `checkHead` when
 * `hasHead(seq)`. At the end, `endRun` once more.
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

  constructor(
    private readonly headAt: ReadonlyMap<number, SignedHead>,
    private readonly maxRuns: number,
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

  private fail(seq: number, kind: ProblemKind): void {
    if (!this.problem || seq < this.problem.seq) this.problem = { seq, kind };
  }
}
