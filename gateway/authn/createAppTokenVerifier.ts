/**
 * Verifies apps' bearer JWTs with jose against the identity provider's JWKS
 * (a file, or an https URL fetched and cached with jose's cooldown): only
 * ES256, RS256 and EdDSA; `iss`, `aud`, `sub`, `exp`, `iat`, `jti` and
 * `purpose` required; a small clock tolerance. Verified tokens are cached
 * until they expire, so a repeat request costs one Map lookup.
 */
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload } from "jose";
import { ErrorCode } from "../../platform/errors.ts";
import { loadJwks } from "../../platform/security/keys.ts";
import { isResidentId } from "../../platform/standard/residentId.ts";
import type { AppPrincipal } from "./Principal.ts";

export const ALLOWED_ALGORITHMS = ["ES256", "RS256", "EdDSA"];

export interface AppTokenVerifierOptions {
  /** A JWKS file path, or an https:// URL of the identity provider's JWKS. */
  jwks: string;
  issuer: string;
  audience: string;
  /** @default 30 */
  clockToleranceSeconds?: number;
  /** Verified tokens kept. @default 10_000 */
  cacheSize?: number;
  /** The longest `exp - iat` accepted (MAX_TOKEN_LIFETIME). @default 3600 */
  maxLifetimeSeconds?: number;
}

/** Why a token was refused; `reason` is safe to show the caller. */
export class AuthenticationError extends Error {
  readonly code = ErrorCode.UNAUTHENTICATED;
  constructor(readonly reason: string) {
    super(reason);
  }
}

function reasonFor(error: unknown): string {
  if (error instanceof AuthenticationError) return error.reason;
  if (error instanceof joseErrors.JWTExpired) return "token expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return "wrong audience";
    if (error.claim === "iss") return "wrong issuer";
    if (error.claim === "nbf" || error.claim === "iat") return "token not yet valid";
    return `missing or invalid claim: ${error.claim}`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "signing algorithm not allowed";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "unknown signing key";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "invalid signature";
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return "signing keys unavailable";
  return "malformed token";
}

function principalOf(payload: JWTPayload): AppPrincipal {
  const purpose = payload.purpose;
  if (typeof purpose !== "string" || purpose.trim() === "" || purpose.length > 200) {
    throw new AuthenticationError("missing or invalid claim: purpose");
  }
  if (typeof payload.sub !== "string" || payload.sub === "") throw new AuthenticationError("missing or invalid claim: sub");
  if (typeof payload.jti !== "string" || payload.jti === "") throw new AuthenticationError("missing or invalid claim: jti");
  const scope = payload.scope ?? "";
  if (typeof scope !== "string") throw new AuthenticationError("missing or invalid claim: scope");
  let citizens: Set<string> | null = null;
  if (payload.citizens !== undefined) {
    if (!Array.isArray(payload.citizens) || !payload.citizens.every((id) => typeof id === "string" && isResidentId(id))) {
      throw new AuthenticationError("missing or invalid claim: citizens");
    }
    citizens = new Set(payload.citizens as string[]);
  }
  const scopes = new Set(scope.split(" ").filter(Boolean));
  return {
    kind: "app",
    app: payload.sub,
    scopes,
    scopeKey: [...scopes].sort().join(" "),
    citizens,
    purpose,
    tokenId: payload.jti,
    issuedAt: payload.iat!,
    expiresAt: payload.exp!,
  };
}

/**
 * @returns a function from the Authorization header value to the verified
 * principal, with `keysLoaded()` for readiness (a remote JWKS fetched at least once).
 */
export function createAppTokenVerifier(options: AppTokenVerifierOptions) {
  const remote = /^https?:\/\//.test(options.jwks)
    ? // Keys are refetched only for an unknown kid (at most every 30 s), so cached keys keep verifying while the endpoint is down.
      createRemoteJWKSet(new URL(options.jwks), { cooldownDuration: 30_000, cacheMaxAge: Infinity, timeoutDuration: 5_000 })
    : null;
  const keySet = remote ?? createLocalJWKSet(loadJwks(options.jwks));
  const tolerance = options.clockToleranceSeconds ?? 30;
  const cacheSize = options.cacheSize ?? 10_000;
  const maxLifetime = options.maxLifetimeSeconds ?? 3600;
  const verified = new Map<string, AppPrincipal>();

  /** Whether keys are there to verify with: a file always, a remote JWKS once fetched (tried now if not). */
  async function keysLoaded(): Promise<boolean> {
    if (!remote || remote.jwks()) return true;
    // Not loaded is the answer here; a token that arrives meanwhile is refused with the reason.
    await remote.reload().catch(() => undefined);
    return remote.jwks() !== undefined;
  }

  /** @throws AuthenticationError */
  async function verifyAuthorizationHeader(header: string | undefined): Promise<AppPrincipal> {
    if (!header) throw new AuthenticationError("missing bearer token");
    const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header);
    if (!match) throw new AuthenticationError("malformed authorization header");
    const token = match[1]!;
    const now = Date.now() / 1000;
    const cached = verified.get(token);
    if (cached && cached.expiresAt + tolerance > now) return cached;
    if (cached) verified.delete(token);
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: tolerance,
        requiredClaims: ["iss", "aud", "sub", "exp", "iat", "jti"],
      });
      if (payload.iat! > now + tolerance) throw new AuthenticationError("token not yet valid");
      // A long-lived token is a standing key: refused whatever its signature.
      if (payload.exp! - payload.iat! > maxLifetime) throw new AuthenticationError("token lifetime too long");
      const principal = principalOf(payload);
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
      verified.set(token, principal);
      return principal;
    } catch (error) {
      throw new AuthenticationError(reasonFor(error));
    }
  }

  return Object.assign(verifyAuthorizationHeader, { keysLoaded });
}
