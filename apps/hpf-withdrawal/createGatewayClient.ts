/**
 * The app's side of the gateway: POSTs one of its operations with a
 * citizen-bound token and checks the signed receipt that comes back against
 * the gateway's published keys (`/.well-known/jwks.json`, fetched once and
 * again when a receipt names a key it does not hold).
 */
import type { JSONWebKeySet } from "jose";
import type { ReceiptClaims } from "../../gateway/receipts/Receipt.ts";
import { verifyReceipt } from "../../gateway/receipts/verifyReceipt.ts";

export interface ReceiptCheck {
  /** The compact JWS, as the app keeps it instead of a copy of the data. */
  jws: string | null;
  verified: boolean;
  claims: ReceiptClaims | null;
  problems: string[];
}

export interface GatewayAnswer {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } }>; extensions?: { receipt?: string } };
  receipt: ReceiptCheck;
}

export interface GatewayClient {
  ask(token: string, query: string, variables: Record<string, unknown>): Promise<GatewayAnswer>;
}

export function createGatewayClient(gatewayUrl: string): GatewayClient {
  const jwksUrl = new URL("/.well-known/jwks.json", gatewayUrl);
  let jwks: JSONWebKeySet | null = null;
  const fetchJwks = async () => {
    const response = await fetch(jwksUrl, { signal: AbortSignal.timeout(3000) });
    if (!response.ok) throw new Error(`cannot fetch the gateway's keys: HTTP ${response.status}`);
    jwks = (await response.json()) as JSONWebKeySet;
    return jwks;
  };

  async function check(body: GatewayAnswer["body"]): Promise<ReceiptCheck> {
    const jws = typeof body.extensions?.receipt === "string" ? body.extensions.receipt : null;
    if (!jws) return { jws, verified: false, claims: null, problems: ["no receipt"] };
    let result = await verifyReceipt(body, jwks ?? (await fetchJwks()));
    // A key the app has not seen yet (the gateway rotated): fetch the keys once more.
    if (!result.ok && result.claims === null) result = await verifyReceipt(body, await fetchJwks());
    return { jws, verified: result.ok, claims: result.claims, problems: result.problems };
  }

  return {
    async ask(token, query, variables) {
      const response = await fetch(gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await response.json()) as GatewayAnswer["body"];
      return { status: response.status, body, receipt: await check(body) };
    },
  };
}
