/**
 * The IDE in headless Chromium (Debian's package, driven by playwright-core):
 * `/` leads to GraphiQL, a pasted token is sent as Authorization, the schema
 * loads for a schema:introspect token, and a query typed into the page
 * answers; nothing is fetched from anywhere but the gateway. Then a browser
 * app on another origin calls the gateway through CORS, and one on an origin
 * not allowed cannot read it. Saves a screenshot to tests/results/.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { STANDARD_SCOPES } from "../support/standardScopes.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER) throw new Error(`REQUIRE_BROWSER is set but ${CHROMIUM} is missing`);

/** A page on its own origin that asks the gateway for a citizen's name with fetch, as a browser app would. */
function startAppOrigin(): Promise<Server> {
  const server = createServer((_request, response) => {
    response.setHeader("content-type", "text/html; charset=utf-8");
    response.end("<!doctype html><title>app</title><p>app</p>");
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe.skipIf(!available)("GraphiQL (/graphiql) and a browser app on another origin, in headless Chromium", () => {
  let system: System;
  let browser: Browser;
  let developerToken: string;
  let allowedApp: Server;
  let otherApp: Server;
  const originOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  beforeAll(async () => {
    // The gateway serves the bundle it finds at start; `npm test` builds it first (pretest).
    if (!existsSync(`${ROOT}gateway/graphiql/dist/graphiql.js`)) {
      const built = spawnSync("npm", ["run", "--silent", "build:assets"], { cwd: ROOT, encoding: "utf8" });
      if (built.status !== 0) throw new Error(built.stderr);
    }
    allowedApp = await startAppOrigin();
    otherApp = await startAppOrigin();
    system = await startSystem({ suite: "browser-graphiql", gateway: { corsOrigins: [originOf(allowedApp)] } });
    developerToken = await signDevToken({
      key: system.issuerKey,
      issuer: DEV_TOKEN_ISSUER,
      audience: DEFAULT_TOKEN_AUDIENCE,
      subject: "app:agency-developer",
      scopes: [...STANDARD_SCOPES, "schema:introspect"],
      purpose: "SCHEMA_DEVELOPMENT",
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    allowedApp?.close();
    otherApp?.close();
  });

  it("runs a query typed into the page with the pasted token, with the schema's docs loaded", async () => {
    const gatewayOrigin = new URL(system.gatewayUrl).origin;
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    const elsewhere: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith(gatewayOrigin) && !url.startsWith("data:")) elsewhere.push(url);
    });
    const authorizations: Array<string | undefined> = [];
    page.on("request", (request) => {
      if (request.url() === system.gatewayUrl && request.method() === "POST") authorizations.push(request.headers().authorization);
    });

    await page.goto(`${gatewayOrigin}/`);
    expect(new URL(page.url()).pathname).toBe("/graphiql");
    await page.waitForSelector(".graphiql-container");
    await page.fill("#token", developerToken);
    await page.click(".token-bar button");
    await expect.poll(() => page.textContent("[data-testid=token-state]")).toContain("sent as Authorization");

    // The schema arrived: the documentation explorer lists the root type's fields.
    await page.click('[aria-label="Show Documentation Explorer"]');
    await page.waitForSelector(".graphiql-doc-explorer");
    await page.click(".graphiql-doc-explorer-type-name >> text=Query");
    await page.waitForSelector(".graphiql-doc-explorer >> text=citizen");

    await page.evaluate(() => {
      const editor = document.querySelector(".graphiql-query-editor .CodeMirror") as unknown as { CodeMirror: { setValue(text: string): void } };
      editor.CodeMirror.setValue('{ citizen(id: "140105198605150031") { name housingFundAccount { balance } } }');
    });
    await page.click(".graphiql-execute-button");
    await expect
      .poll(
        () =>
          page.evaluate(() => {
            const editor = document.querySelector(".graphiql-response .CodeMirror") as unknown as { CodeMirror: { getValue(): string } } | null;
            return editor?.CodeMirror.getValue() ?? "";
          }),
        { timeout: 15_000 },
      )
      .toContain("李伟");
    const text = await page.evaluate(() => (document.querySelector(".graphiql-response .CodeMirror") as any).CodeMirror.getValue() as string);
    expect(JSON.parse(text).data.citizen).toEqual({ name: "李伟", housingFundAccount: { balance: expect.stringMatching(/^\d+\.\d{2}$/) } });

    expect(authorizations.length).toBeGreaterThan(0);
    expect(authorizations.at(-1)).toBe(`Bearer ${developerToken}`);
    expect(elsewhere).toEqual([]);
    expect(pageErrors).toEqual([]);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: `${RESULTS}graphiql.png` });
    await context.close();
  });

  it("lets a browser app on an allowed origin call the gateway, and keeps the answer from any other origin", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const ask = (origin: string) =>
      page.goto(`${origin}/`).then(() =>
        page.evaluate(
          async ({ url, token }) => {
            try {
              const response = await fetch(url, {
                method: "POST",
                headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
                body: JSON.stringify({ query: '{ citizen(id: "140105198605150031") { name } }' }),
              });
              return { status: response.status, body: await response.json() };
            } catch (error) {
              return { blocked: String(error) };
            }
          },
          { url: system.gatewayUrl, token: developerToken },
        ),
      );
    const allowed = (await ask(originOf(allowedApp))) as { status: number; body: any };
    expect(allowed.status).toBe(200);
    expect(allowed.body.data.citizen.name).toBe("李伟");
    const other = (await ask(originOf(otherApp))) as { blocked?: string };
    expect(other.blocked).toMatch(/TypeError|Failed to fetch/);
    await context.close();
  });
});
