/**
 * Appends audit records with group commit: concurrent requests wait for one
 * batched INSERT in one transaction instead of one transaction each. The
 * chain is serialized in the database (a transaction-scoped advisory lock,
 * then the last record's hash), so several gateway processes writing to one
 * database still produce one unbroken chain in `seq` order.
 */
import type { AuditEntry } from "./AuditEntry.ts";
import { GENESIS_HASH, chainHash } from "./auditChain.ts";
import type { Prisma, PrismaClient } from "./prisma/generated/client.ts";

const CHAIN_LOCK = 4_211_2026;

export interface AuditWriterOptions {
  prisma: PrismaClient;
  /** Most records in one commit. @default 500 */
  maxBatch?: number;
}

/** Where a committed record sits in the chain (what a receipt names). */
export interface CommittedAuditRecord {
  seq: bigint;
  hash: string;
}

export interface AuditWriter {
  /** Resolves with the record's place in the chain once it is committed. @throws when it could not be (the caller must fail closed) */
  write(entry: AuditEntry): Promise<CommittedAuditRecord>;
  /** Waits for every queued record. */
  drain(): Promise<void>;
}

interface Pending {
  entry: AuditEntry;
  resolve(committed: CommittedAuditRecord): void;
  reject(error: unknown): void;
}

export function createAuditWriter(options: AuditWriterOptions): AuditWriter {
  const { prisma } = options;
  const maxBatch = options.maxBatch ?? 500;
  let queue: Pending[] = [];
  let running: Promise<void> | null = null;

  async function commit(batch: Pending[]): Promise<CommittedAuditRecord[]> {
    return prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHAIN_LOCK})`;
        const last = await tx.auditRecord.findFirst({ orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
        let seq = last?.seq ?? 0n;
        let prevHash = last?.hash ?? GENESIS_HASH;
        const rows = batch.map(({ entry }) => {
          seq += 1n;
          const hash = chainHash(prevHash, seq, entry);
          const row = {
            ...entry,
            verifications: entry.verifications?.length ? (entry.verifications as unknown as Prisma.InputJsonValue) : undefined,
            governance: entry.governance ? (entry.governance as Prisma.InputJsonValue) : undefined,
            seq,
            prevHash,
            hash,
          };
          prevHash = hash;
          return row;
        });
        await tx.auditRecord.createMany({ data: rows });
        return rows.map(({ seq, hash }) => ({ seq, hash }));
      },
      { maxWait: 5_000, timeout: 15_000 },
    );
  }

  async function run(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        const committed = await commit(batch);
        batch.forEach((pending, i) => pending.resolve(committed[i]!));
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    running = null;
  }

  return {
    write(entry) {
      return new Promise<CommittedAuditRecord>((resolve, reject) => {
        queue.push({ entry, resolve, reject });
        // Records arriving while a commit runs wait for the next one: that is the group.
        running ??= new Promise<void>((next) => setImmediate(next)).then(run);
      });
    },
    async drain() {
      while (running) await running;
    },
  };
}
