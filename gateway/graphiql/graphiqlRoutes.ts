/**
 * GraphiQL at /graphiql, and `/` pointing there: static files only, built
 * from the graphiql npm package by `npm run build:assets` (nothing is
 * fetched from elsewhere at run time). The page asks /graphql with the token
 * pasted into it, so every query is authorized and audited like an app's;
 * schema docs need a token holding `schema:introspect`.
 */
import { existsSync, readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import type { RouteHandler } from "../../platform/http/createGraphQLHttpServer.ts";

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export const GRAPHIQL_PATH = "/graphiql";

const SECURITY_HEADERS = {
  // GraphiQL's editors set inline styles and its CSS embeds fonts and icons as data: URLs.
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function staticFile(path: string, type: string): RouteHandler {
  // Read once, at start; a missing bundle is answered with how to build it.
  const body = existsSync(path) ? readFileSync(path) : null;
  return (_request, response: ServerResponse) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    if (!body) {
      response.statusCode = 503;
      response.setHeader("content-type", "text/plain; charset=utf-8");
      return void response.end("GraphiQL is not built: run `npm run build:assets` (npm start and npm test do).\n");
    }
    response.setHeader("content-type", type);
    response.end(body);
  };
}

/** Routes of the IDE, by path, plus `/` redirecting to it. */
export function graphiqlRoutes(): Record<string, RouteHandler> {
  const page = staticFile(here("./graphiql.html"), "text/html; charset=utf-8");
  return {
    "/": (_request, response) => {
      response.statusCode = 302;
      response.setHeader("location", GRAPHIQL_PATH);
      response.end();
    },
    [GRAPHIQL_PATH]: page,
    [`${GRAPHIQL_PATH}/`]: page,
    [`${GRAPHIQL_PATH}/graphiql.js`]: staticFile(here("./dist/graphiql.js"), "text/javascript; charset=utf-8"),
    [`${GRAPHIQL_PATH}/graphiql.css`]: staticFile(here("./dist/graphiql.css"), "text/css; charset=utf-8"),
    [`${GRAPHIQL_PATH}/page.css`]: staticFile(here("./page.css"), "text/css; charset=utf-8"),
  };
}
