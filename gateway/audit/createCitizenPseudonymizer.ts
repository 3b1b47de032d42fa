import { createHmac } from "node:crypto";

/** Pseudonyms kept for citizens seen last (a request asks for its citizen's twice: budget, then audit record). */
const KEPT = 1024;
/** Longer ids (never a real one) are computed every time and not kept. */
const LONGEST_KEPT_ID = 64;

/**
 * Citizen ids are stored pseudonymised: HMAC-SHA256 with a server secret.
 * A lookup by citizen computes the same pseudonym; without the secret the
 * log does not say whose data was read.
 */
export function createCitizenPseudonymizer(secret: Uint8Array | string): (citizenId: string) => string {
  const kept = new Map<string, string>();
  return (citizenId) => {
    let pseudonym = kept.get(citizenId);
    if (pseudonym !== undefined) return pseudonym;
    pseudonym = createHmac("sha256", secret).update(citizenId).digest("hex");
    if (citizenId.length <= LONGEST_KEPT_ID) {
      if (kept.size >= KEPT) kept.delete(kept.keys().next().value!);
      kept.set(citizenId, pseudonym);
    }
    return pseudonym;
  };
}
