/**
 * CORS for browser apps on other origins: an allow-list of exact origins.
 * A preflight (`OPTIONS`) is answered here, before any token check or rate
 * limit, since browsers send it without credentials. Responses to allowed
 * origins name that origin (never `*`) and vary by `Origin`; other origins
 * get no CORS headers, so their browsers keep the response from the page.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export interface CorsPolicyOptions {
  /** Exact origins allowed, e.g. `https://app.example.gov.cn`. @default [] (none) */
  origins: readonly string[];
  /** Request headers a browser may send. @default authorization, content-type and Apollo's CSRF headers */
  allowedHeaders?: readonly string[];
  /** Response headers a page may read. @default ["retry-after"] */
  exposedHeaders?: readonly string[];
  /** How long a browser may cache a preflight, in seconds. @default 600 */
  maxAgeSeconds?: number;
}

export interface CorsPolicy {
  /**
   * Adds CORS headers for an allowed origin; answers a preflight whole.
   * @returns true when the response has been sent (a preflight)
   */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
}

export const DEFAULT_CORS_ALLOWED_HEADERS = ["authorization", "content-type", "apollo-require-preflight", "x-apollo-operation-name"] as const;

export function createCorsPolicy(options: CorsPolicyOptions): CorsPolicy {
  const origins = new Set(options.origins);
  const allowedHeaders = (options.allowedHeaders ?? DEFAULT_CORS_ALLOWED_HEADERS).join(", ");
  const exposedHeaders = (options.exposedHeaders ?? ["retry-after"]).join(", ");
  const maxAge = String(options.maxAgeSeconds ?? 600);
  return {
    handle(request, response) {
      const origin = request.headers.origin;
      const preflight = request.method === "OPTIONS";
      response.setHeader("vary", "Origin");
      if (origin !== undefined && origins.has(origin)) {
        response.setHeader("access-control-allow-origin", origin);
        // Tokens travel in Authorization; allowing credentials is safe only because the origin is named, never `*`.
        response.setHeader("access-control-allow-credentials", "true");
        if (preflight) {
          response.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
          response.setHeader("access-control-allow-headers", allowedHeaders);
          response.setHeader("access-control-max-age", maxAge);
        } else {
          response.setHeader("access-control-expose-headers", exposedHeaders);
        }
      }
      if (!preflight) return false;
      response.statusCode = 204;
      response.setHeader("allow", "GET, POST, OPTIONS");
      response.end();
      return true;
    },
  };
}
