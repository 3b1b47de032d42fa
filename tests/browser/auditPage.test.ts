/**
 * The auditors' page in headless Chromium (Debian's package, driven by
 * playwright-core; no browser download): paste a token, filter, page,
 * verify the chain, export CSV. Saves a screenshot to tests/results/.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { postGraphQL } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));
// CI installs Chromium and sets REQUIRE_BROWSER, so there the suite cannot be skipped.
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER) throw new Error(`REQUIRE_BROWSER is set but ${CHROMIUM} is missing`);
if (!available) console.warn(`browser tests skipped: ${CHROMIUM} not found (apt-get install chromium)`);

describe.skipIf(!available)("audit page (/audit) in headless Chromium", () => {
  let system: System;
  let browser: Browser;
  let auditorToken: string;
  const sign = (subject: string, scopes: string[], purpose: string) =>
    signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes, purpose });

  beforeAll(async () => {
    system = await startSystem({ suite: "browser" });
    const counter = await sign("app:counter-desk", ["civil-affairs:identity", "housing-fund:verify"], "HPF_WITHDRAWAL_HOME_PURCHASE");
    for (let i = 0; i < 30; i++) {
      await postGraphQL(system.gatewayUrl, `query Counter${i} { citizen(id: "140105198605150031") { name housingFundContributedMonths(atLeast: 12) housingFundAccount { balance } } }`, {}, { authorization: `Bearer ${counter}` });
    }
    auditorToken = await sign("app:auditor-console", ["audit:read"], "AUDIT_REVIEW");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it("shows the records an auditor filters for, pages through them, verifies the chain and exports CSV", async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(system.gatewayUrl.replace("/graphql", "/audit"));
    await page.fill("#token", auditorToken);
    await page.dispatchEvent("#token", "change");
    await page.fill('input[name="app"]', "app:counter-desk");
    await page.click("#search");
    await page.waitForSelector("#records tbody tr");
    const rows = page.locator("#records tbody tr");
    expect(await rows.count()).toBe(25);
    const firstRow = await rows.first().innerText();
    expect(firstRow).toContain("app:counter-desk");
    expect(firstRow).toContain("PARTIAL");
    expect(firstRow).toContain("HousingFundAccount.balance");
    expect(firstRow).not.toContain("86400.00");

    await page.click("#next-page");
    await page.waitForFunction(() => document.querySelector("#page-info")?.textContent?.startsWith("page 2"));
    expect(await rows.count()).toBe(5);

    await page.click("#verify");
    await page.waitForSelector("#chain.ok");
    expect(await page.textContent("#chain")).toContain("Chain verifies");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
    const csv = readFileSync((await download.path())!, "utf8").trim().split("\r\n");
    expect(csv[0]!.split(",")).toContain("deniedFields");
    expect(csv.length).toBe(31); // header + the 30 counter requests
    expect(csv.join("\n")).not.toContain("140105198605150031");

    mkdirSync(RESULTS, { recursive: true });
    await page.click("#first-page");
    await page.waitForFunction(() => document.querySelector("#page-info")?.textContent?.startsWith("page 1"));
    await page.screenshot({ path: `${RESULTS}audit-page.png`, fullPage: false });
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it("shows FORBIDDEN to a token without audit:read and renders hostile text inertly", async () => {
    const hostile = await sign("app:<img src=x onerror=alert(1)>", ["civil-affairs:identity"], "<script>window.pwned=1</script>");
    await postGraphQL(system.gatewayUrl, `{ citizen(id: "140105198605150031") { name } }`, {}, { authorization: `Bearer ${hostile}` });
    const page = await browser.newPage();
    await page.goto(system.gatewayUrl.replace("/graphql", "/audit"));
    await page.fill("#token", await sign("app:nosy", ["civil-affairs:identity"], "CURIOSITY"));
    await page.click("#search");
    await page.waitForFunction(() => (document.querySelector("#message")?.textContent ?? "").length > 0);
    expect(await page.textContent("#message")).toContain("FORBIDDEN");

    await page.fill("#token", auditorToken);
    await page.fill('input[name="app"]', "app:<img src=x onerror=alert(1)>");
    await page.click("#search");
    await page.waitForSelector("#records tbody tr");
    expect(await page.locator("#records tbody img").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator("#records tbody tr").first().innerText()).toContain("<script>window.pwned=1</script>");
    await page.close();
  });
});
