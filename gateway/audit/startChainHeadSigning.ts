/**
 * Signs the audit chain's head (last seq and hash) with the gateway's key at
 * intervals and appends it to a file outside the database. Someone who
 * rewrites the database, even recomputing every hash after an edit, cannot
 * forge these: `verifyAuditChain` compares the chain with them.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { CompactSign } from "jose";
import type { Logger } from "../../platform/logging/createLogger.ts";
import type { SigningKey } from "../../platform/security/keys.ts";
import type { SqlSession } from "../../platform/database/applyMigrations.ts";

/** One line of the heads file. */
export interface SignedHead {
  seq: string;
  hash: string;
  signedAt: string;
  /** JWS over `{ seq, hash, signedAt }`. */
  jws: string;
}

export interface ChainHeadSigning {
  /** Signs the current head now if it moved since the last signature. */
  signNow(): Promise<void>;
  stop(): Promise<void>;
}

const HEAD = `SELECT "seq"::text AS "seq", "hash" FROM "audit_chain_head" WHERE "id"`;

export function startChainHeadSigning(options: { session: SqlSession; key: SigningKey; path: string; intervalMs: number; logger?: Logger }): ChainHeadSigning {
  mkdirSync(dirname(options.path), { recursive: true });
  let lastSigned: bigint | null = null;
  let signing: Promise<void> = Promise.resolve();

  async function sign(): Promise<void> {
    // The head row the writer moves in the same statement as its records (one row, one prepared statement).
    const [row] = await options.session.query<{ seq: string; hash: string }>(HEAD, [], "audit_chain_head_signing");
    const head = row && BigInt(row.seq) > 0n ? { seq: BigInt(row.seq), hash: row.hash } : null;
    if (!head || head.seq === lastSigned) return;
    const payload = { seq: head.seq.toString(), hash: head.hash, signedAt: new Date().toISOString() };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: options.key.alg, kid: options.key.kid, typ: "audit-head+jws" })
      .sign(options.key.key);
    const line: SignedHead = { ...payload, jws };
    appendFileSync(options.path, `${JSON.stringify(line)}\n`);
    lastSigned = head.seq;
  }

  // An unreachable database or an unwritable file is retried next interval.
  const signNow = () => (signing = signing.then(sign).catch((error: unknown) => options.logger?.error({ err: error }, "could not sign the audit chain head")));
  const timer = setInterval(signNow, options.intervalMs);
  timer.unref();
  return {
    signNow,
    async stop() {
      clearInterval(timer);
      await signNow();
    },
  };
}
