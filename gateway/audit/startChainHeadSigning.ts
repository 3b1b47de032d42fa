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
import type { PrismaClient } from "./prisma/generated/client.ts";

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

export function startChainHeadSigning(options: { prisma: PrismaClient; key: SigningKey; path: string; intervalMs: number; logger?: Logger }): ChainHeadSigning {
  mkdirSync(dirname(options.path), { recursive: true });
  let lastSigned: bigint | null = null;
  let signing: Promise<void> = Promise.resolve();

  async function sign(): Promise<void> {
    const head = await options.prisma.auditRecord.findFirst({ orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
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
