/**
 * A citizen's pseudonym is HMAC-SHA256 of the id with the server's secret,
 * the same whether computed afresh or taken from the pseudonyms kept for
 * recent citizens, and different per secret.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCitizenPseudonymizer } from "../../gateway/audit/createCitizenPseudonymizer.ts";

const hmac = (secret: string, id: string) => createHmac("sha256", secret).update(id).digest("hex");

describe("createCitizenPseudonymizer", () => {
  it("answers the HMAC of every id, first time and again, beyond what it keeps and for long ids", () => {
    const pseudonymize = createCitizenPseudonymizer("secret-a");
    const ids = [...Array.from({ length: 3000 }, (_, i) => `11010519900307${String(i).padStart(4, "0")}`), "x".repeat(10_000), ""];
    for (let round = 0; round < 2; round++) {
      for (const id of ids) expect(pseudonymize(id)).toBe(hmac("secret-a", id));
      for (const id of [...ids].reverse()) expect(pseudonymize(id)).toBe(hmac("secret-a", id));
    }
    expect(createCitizenPseudonymizer("secret-b")(ids[0]!)).not.toBe(pseudonymize(ids[0]!));
  });
});
