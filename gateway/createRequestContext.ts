/**
 * The gateway's edge, before any GraphQL work: verify the bearer token
 * (401 otherwise, or 429 once the client address has used its bucket of
 * unauthenticated requests), take one token from the app's rate-limit bucket
 * (429 otherwise), and build the per-request context the plugins share.
 */
import type { IncomingMessage } from "node:http";
import { ErrorCode } from "../platform/errors.ts";
import { HttpError } from "../platform/http/createGraphQLHttpServer.ts";
import { requestIdOf } from "../platform/http/requestId.ts";
import type { Logger } from "../platform/logging/createLogger.ts";
import { AuthenticationError } from "./authn/createAppTokenVerifier.ts";
import type { Principal } from "./authn/Principal.ts";
import type { GatewayContext } from "./GatewayContext.ts";
import type { AppRegistry, RateLimit } from "./guard/appRegistry.ts";
import type { RateLimiter } from "./guard/createRateLimiter.ts";

export interface RequestContextOptions {
  verifyToken(authorizationHeader: string | undefined): Promise<Principal>;
  rateLimiter: RateLimiter;
  registry: AppRegistry;
  /** Every app's bucket unless the registry gives it its own. */
  defaultRateLimit: RateLimit;
  /** The bucket per client address of requests without a valid token. */
  unauthenticatedRateLimit?: RateLimit;
  /** The client's address (X-Forwarded-For from trusted proxies). @default the socket's peer */
  clientAddressOf?(request: IncomingMessage): string | null;
  /** Purpose binding: the principal with only the scopes the app's active grants for its purpose allow (gateway/governance/). */
  govern?(principal: Principal): Promise<Principal>;
  logger?: Logger;
  /** Counts refusals at the edge (metrics). */
  onRefusal?(kind: "token" | "rate-limit", reason: string): void;
}

export function createRequestContext(options: RequestContextOptions): (request: IncomingMessage) => Promise<GatewayContext> {
  return async (request) => {
    // Node keeps only the first of repeated Authorization headers; which one an app meant is not for the gateway to guess.
    if ((request.headersDistinct?.authorization?.length ?? 0) > 1) {
      throw new HttpError(400, "BAD_REQUEST", "Send one Authorization header");
    }
    const clientAddress = options.clientAddressOf ? options.clientAddressOf(request) : (request.socket?.remoteAddress ?? null);
    let principal: Principal;
    try {
      principal = await options.verifyToken(request.headers.authorization);
    } catch (error) {
      const reason = error instanceof AuthenticationError ? error.reason : "invalid token";
      options.onRefusal?.("token", reason);
      // A flood without tokens is throttled per address; each refusal is still recorded (by the caller).
      if (options.unauthenticatedRateLimit) {
        const rate = await options.rateLimiter.take(`unauthenticated:${clientAddress ?? "unknown"}`, options.unauthenticatedRateLimit).catch(() => null);
        if (rate && !rate.allowed) {
          options.onRefusal?.("rate-limit", "unauthenticated");
          throw new HttpError(429, ErrorCode.RATE_LIMITED, "Too many requests", { "retry-after": String(rate.retryAfterSeconds) });
        }
      }
      throw new HttpError(401, ErrorCode.UNAUTHENTICATED, `Unauthenticated: ${reason}`, { "www-authenticate": "Bearer" });
    }
    const limit = options.registry.get(principal.app)?.rateLimit ?? options.defaultRateLimit;
    // A rate-limit store that cannot answer does not stop the service: the limit is then not enforced.
    const rate = await options.rateLimiter.take(principal.app, limit).catch((error: unknown) => {
      options.logger?.warn({ err: error, requestId: requestIdOf(request), app: principal.app }, "rate-limit store unavailable: this request is not rate limited");
      return null;
    });
    if (rate && !rate.allowed) {
      options.onRefusal?.("rate-limit", principal.app);
      throw new HttpError(429, ErrorCode.RATE_LIMITED, "Too many requests", { "retry-after": String(rate.retryAfterSeconds) }, principal);
    }
    if (options.govern) principal = await options.govern(principal);
    return {
      principal,
      requestId: requestIdOf(request),
      startedAt: Date.now(),
      startedAtMonotonic: performance.now(),
      clientAddress,
      subgraphsCalled: new Set<string>(),
      citizensRead: new Set<string>(),
      auditState: { recorded: false },
    };
  };
}
