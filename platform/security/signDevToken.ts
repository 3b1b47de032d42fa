/**
 * Signs an app token as the development identity provider (the key made by
 * `ensureDevKeys`): what `npm run token`, `npm start`'s demo token and the
 * tests use. Production tokens come from the real identity provider.
 */
import { randomUUID } from "node:crypto";
import { SignJWT, type JWTPayload } from "jose";
import type { SigningKey } from "./keys.ts";

export interface DevTokenOptions {
  key: SigningKey;
  issuer: string;
  audience: string;
  /** The app, e.g. `app:demo`. */
  subject: string;
  scopes: readonly string[];
  purpose?: string;
  citizens?: readonly string[];
  /** Lifetime from now. @default 3600 */
  ttlSeconds?: number;
  /** Absolute expiry (UNIX seconds); wins over ttlSeconds. */
  expiresAt?: number;
  /** Extra or overriding claims (tests). */
  claims?: JWTPayload;
}

export function signDevToken(options: DevTokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    scope: options.scopes.join(" "),
    ...(options.purpose !== undefined ? { purpose: options.purpose } : {}),
    ...(options.citizens ? { citizens: [...options.citizens] } : {}),
    ...options.claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: options.key.alg, kid: options.key.kid, typ: "JWT" })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(options.expiresAt ?? now + (options.ttlSeconds ?? 3600))
    .sign(options.key.key);
}
