/**
 * The data catalog page at /catalog and the sharing page at /sharing: static
 * files only. They hold no data; the browser asks /graphql with the token the
 * user pastes, so every look and every decision goes through the gateway and
 * is audited.
 */
import { readFileSync } from "node:fs";
import type { RouteHandler } from "../../platform/http/createGraphQLHttpServer.ts";
import { setPageSecurityHeaders, staticFile } from "../../platform/http/staticPage.ts";

const read = (name: string) => readFileSync(new URL(name, import.meta.url));


/** Routes of the catalog and sharing pages, by path. */
export function governancePageRoutes(): Record<string, RouteHandler> {
  const catalog = staticFile(read("./catalog.html"), "text/html; charset=utf-8");
  const sharing = staticFile(read("./sharing.html"), "text/html; charset=utf-8");
  const css = staticFile(read("./governance.css"), "text/css; charset=utf-8");
  const common = staticFile(read("./common.js"), "text/javascript; charset=utf-8");
  return {
    "/catalog": catalog,
    "/catalog/": catalog,
    "/catalog/catalog.js": staticFile(read("./catalog.js"), "text/javascript; charset=utf-8"),
    "/catalog/governance.css": css,
    "/catalog/common.js": common,
    "/sharing": sharing,
    "/sharing/": sharing,
    "/sharing/sharing.js": staticFile(read("./sharing.js"), "text/javascript; charset=utf-8"),
    "/sharing/governance.css": css,
    "/sharing/common.js": common,
  };
}
