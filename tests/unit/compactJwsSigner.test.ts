/**
 * The gateway's synchronous JWS signer writes tokens jose verifies, for every
 * algorithm a gateway key may have, and declines keys it cannot sign with.
 */
import { generateKeyPair, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { compactJwsSigner, encodedHeader } from "../../platform/security/compactJwsSigner.ts";

describe("compactJwsSigner", () => {
  for (const alg of ["EdDSA", "ES256", "ES384", "RS256", "PS256"]) {
    it(`signs ${alg} tokens that verify with the public key`, async () => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const sign = compactJwsSigner({ key: privateKey, kid: "k1", alg })!;
      const exp = Math.floor(Date.now() / 1000) + 60;
      const token = sign(encodedHeader({ alg, kid: "k1", typ: "JWT" }), { sub: "app:x", scope: "a b", exp });
      const { payload, protectedHeader } = await jwtVerify(token, publicKey, { algorithms: [alg] });
      expect(payload).toEqual({ sub: "app:x", scope: "a b", exp });
      expect(protectedHeader).toEqual({ alg, kid: "k1", typ: "JWT" });
    });
  }

  it("declines a public key and a key of another algorithm", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    expect(compactJwsSigner({ key: publicKey, kid: "k", alg: "ES256" })).toBeUndefined();
    expect(compactJwsSigner({ key: privateKey, kid: "k", alg: "EdDSA" })).toBeUndefined();
  });
});
