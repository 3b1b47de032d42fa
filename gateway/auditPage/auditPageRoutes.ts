/**
 * The auditors' page at /audit: static files only. It holds no data itself;
 * the browser asks /graphql with the auditor's token, so every look is audited.
 */
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import type { RouteHandler } from "../../platform/http/createGraphQLHttpServer.ts";

const read = (name: string) => readFileSync(new URL(name, import.meta.url));

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function staticFile(body: Buffer, type: string): RouteHandler {
  return (_request, response: ServerResponse) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    response.setHeader("content-type", type);
    response.end(body);
  };
}

/** Routes of the audit page, by path. */
export function auditPageRoutes(): Record<string, RouteHandler> {
  const page = staticFile(read("./audit.html"), "text/html; charset=utf-8");
  return {
    "/audit": page,
    "/audit/": page,
    "/audit/audit.js": staticFile(read("./audit.js"), "text/javascript; charset=utf-8"),
    "/audit/audit.css": staticFile(read("./audit.css"), "text/css; charset=utf-8"),
  };
}
