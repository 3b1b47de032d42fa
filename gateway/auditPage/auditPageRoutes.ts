/**
 * The auditors' page at /audit: static files only. It holds no data itself;
 * the browser asks /graphql with the auditor's token, so every look is audited.
 */
import { existsSync, readFileSync } from "node:fs";
import type { RouteHandler } from "../../platform/http/createGraphQLHttpServer.ts";
import { setPageSecurityHeaders, staticFile } from "../../platform/http/staticPage.ts";

const read = (name: string) => readFileSync(new URL(name, import.meta.url));


/**
 * A file `npm run build:assets` makes (gitignored): read when first asked
 * for, so a gateway started without it still serves the rest of the page.
 */
function builtFile(name: string, type: string): RouteHandler {
  let body: Buffer | undefined;
  return (request, response) => {
    const url = new URL(name, import.meta.url);
    if (!body && !existsSync(url)) {
      response.statusCode = 404;
      response.setHeader("content-type", "text/plain; charset=utf-8");
      response.end(`${name} is not built: run npm run build:assets\n`);
      return;
    }
    body ??= readFileSync(url);
    staticFile(body, type)(request, response);
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
    "/audit/audit-charts.js": builtFile("./dist/audit-charts.js", "text/javascript; charset=utf-8"),
  };
}
