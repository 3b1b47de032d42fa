/**
 * Puts a signed receipt in `extensions.receipt` of a response that releases
 * data, once its audit record is committed: the audit plugin calls it with
 * the record's place in the chain, after every other plugin has finished
 * shaping `data` (the commit is awaited after their hooks have run).
 */
import type { FormattedExecutionResult } from "graphql";
import type { AuditEntry } from "../audit/AuditEntry.ts";
import type { CommittedRecord } from "../audit/createAuditWriter.ts";
import { canonicalDigest } from "./canonicalJson.ts";
import type { ReceiptSigner } from "./createReceiptSigner.ts";
import { RECEIPT_CANONICALIZATION, type ReceiptClaims } from "./Receipt.ts";

/** The claims of the receipt for a committed record and the data released with it. */
export function receiptClaims(committed: CommittedRecord, entry: AuditEntry, data: unknown): ReceiptClaims {
  return {
    iat: Math.floor(Date.now() / 1000),
    audit: { seq: committed.seq.toString(), hash: committed.hash },
    time: entry.time.toISOString(),
    app: entry.app,
    purpose: entry.purpose,
    citizens: entry.citizens,
    fields: entry.grantedFields,
    data: { c14n: RECEIPT_CANONICALIZATION, sha256: canonicalDigest(data) },
  };
}

/** @returns the audit plugin's `afterCommit` hook */
export function receiptAttacher(signer: ReceiptSigner) {
  return (committed: CommittedRecord, entry: AuditEntry, result: FormattedExecutionResult): void => {
    if (result.data === undefined || result.data === null) return;
    const receipt = signer.sign(receiptClaims(committed, entry, result.data));
    (result as { extensions?: Record<string, unknown> }).extensions = { ...result.extensions, receipt };
  };
}
