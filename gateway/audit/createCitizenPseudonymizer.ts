import { createHmac } from "node:crypto";

/**
 * Citizen ids are stored pseudonymised: HMAC-SHA256 with a server secret.
 * A lookup by citizen computes the same pseudonym; without the secret the
 * log does not say whose data was read.
 */
export function createCitizenPseudonymizer(secret: Uint8Array | string): (citizenId: string) => string {
  return (citizenId) => createHmac("sha256", secret).update(citizenId).digest("hex");
}
