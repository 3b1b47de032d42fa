/**
 * The gateway's own pages (audit, catalog, sharing) are static files that
 * hold no data: served with a strict content security policy, no sniffing
 * and no referrer.
 */
import type { ServerResponse } from "node:http";
import type { RouteHandler } from "./createGraphQLHttpServer.ts";

export const PAGE_SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** Sets the page security headers on a response. */
export function setPageSecurityHeaders(response: ServerResponse): void {
  for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) response.setHeader(name, value);
}

/** A handler answering `body` as `type` with the page security headers. */
export function staticFile(body: Buffer, type: string): RouteHandler {
  return (_request, response: ServerResponse) => {
    setPageSecurityHeaders(response);
    response.setHeader("content-type", type);
    response.end(body);
  };
}
