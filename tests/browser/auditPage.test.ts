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
import { EXPECTED_FLAGS, STORM_DAY, seedAnomalies, seedFlagStorm } from "../support/seedAnomalies.ts";
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
    // Records that trip every anomaly rule on 2026-03-09 (UTC), written through the gateway's writer.
    await seedAnomalies(system.gateway.audit.writer);
    // 36 flags on STORM_DAY: more than the page shows at first.
    await seedFlagStorm(system.gateway.audit.writer, 12, 3);
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
    const rows = page.locator("#records tbody tr.record");
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

    const [jsonl] = await Promise.all([page.waitForEvent("download"), page.click("#export-jsonl")]);
    expect(jsonl.suggestedFilename()).toMatch(/\.jsonl$/);
    const lines = readFileSync((await jsonl.path())!, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(lines).toHaveLength(30);
    expect(new Set(lines.map((record) => record.app))).toEqual(new Set(["app:counter-desk"]));
    expect(lines[0].deniedFields).toEqual(["Citizen.housingFundAccount"]);
    expect(JSON.stringify(lines)).not.toContain("140105198605150031");

    mkdirSync(RESULTS, { recursive: true });
    await page.click("#first-page");
    await page.waitForFunction(() => document.querySelector("#page-info")?.textContent?.startsWith("page 1"));
    await page.screenshot({ path: `${RESULTS}audit-page.png`, fullPage: false });
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it("shows a row's error codes, granted and denied fields and agencies; names anonymous operations by what they read", async () => {
    const counter = await sign("app:anonymous-desk", ["civil-affairs:identity"], "HPF_WITHDRAWAL_HOME_PURCHASE");
    await postGraphQL(system.gatewayUrl, `{ citizen(id: "140105198605150031") { name housingFundAccount { balance } } }`, {}, { authorization: `Bearer ${counter}` });
    const page = await browser.newPage();
    await page.goto(system.gatewayUrl.replace("/graphql", "/audit"));
    await page.fill("#token", auditorToken);
    await page.fill('input[name="app"]', "app:anonymous-desk");
    await page.click("#search");
    await page.waitForSelector("#records tbody tr.record");
    const row = page.locator("#records tbody tr.record").first();
    const operation = row.locator('td[data-label="Operation"]');
    expect(await operation.innerText()).toBe("anonymous: citizen → Citizen.housingFundAccount, Citizen.name +1");
    expect(await operation.getAttribute("class")).toBe("anonymous");

    await row.click();
    const detail = page.locator("#records tbody tr.detail");
    await detail.waitFor();
    const value = (label: string) => detail.locator(`dd[data-detail="${label}"]`).innerText();
    expect(await value("Error codes")).toBe("FORBIDDEN");
    expect(await value("Granted fields")).toBe("Citizen.name, Query.citizen");
    expect(await value("Denied fields")).toBe("Citizen.housingFundAccount");
    expect(await value("Agencies called")).toContain("civil-affairs");
    expect(await value("Operation")).toMatch(/^\(anonymous\) · sha256 [0-9a-f]{64}$/);
    await row.click();
    expect(await detail.count()).toBe(0);
    await page.close();
  });

  it("draws the charts with data for a chosen range, lists every flag and opens a flag's records", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, timezoneId: "UTC", deviceScaleFactor: 1 });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    await page.goto(system.gatewayUrl.replace("/graphql", "/audit"));
    await page.fill("#token", auditorToken);
    await page.fill('input[name="since"]', "2026-03-09T00:00");
    await page.fill('input[name="until"]', "2026-03-10T00:00");
    await page.click("#search");
    await page.waitForSelector(".charts[data-drawn]");
    await page.waitForSelector("#anomalies li");

    // Each chart has drawn data: many painted pixels in several colours (a blank or axes-only canvas has few).
    const painted = await page.evaluate(() =>
      ["chart-time", "chart-agencies", "chart-levels", "chart-reach"].map((id) => {
        const canvas = document.getElementById(id) as HTMLCanvasElement;
        const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
        let coloured = 0;
        const colours = new Set<string>();
        for (let i = 0; i < pixels.length; i += 4) {
          const [r, g, b, a] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!, pixels[i + 3]!];
          if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 60) {
            coloured += 1;
            colours.add(`${r >> 5},${g >> 5},${b >> 5}`);
          }
        }
        return { id, coloured, colours: colours.size };
      }),
    );
    for (const chart of painted) {
      expect(chart.coloured, chart.id).toBeGreaterThan(300);
      expect(chart.colours, chart.id).toBeGreaterThanOrEqual(chart.id === "chart-time" || chart.id === "chart-levels" ? 3 : 1);
    }
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: `${RESULTS}audit-charts.png`, fullPage: true });
    await page.locator("#patterns-section").screenshot({ path: `${RESULTS}audit-charts-only.png` });

    const flags = page.locator("#anomalies li");
    expect((await flags.evaluateAll((items) => items.map((li) => `${(li as HTMLElement).dataset.rule} ${(li as HTMLElement).dataset.app}`))).sort()).toEqual(
      EXPECTED_FLAGS.map((flag) => `${flag.rule} ${flag.app}`).sort(),
    );
    const probing = page.locator('#anomalies li[data-rule="THRESHOLD_PROBING"]');
    expect(await probing.innerText()).toContain("Citizen.incomeAtLeast");
    await probing.locator("button.show-records").click();
    await page.waitForFunction(() => (document.querySelector("#page-info")?.textContent ?? "").includes("Threshold probing") || (document.querySelector("#message")?.textContent ?? "") !== "");
    expect(await page.textContent("#message")).toBe("");
    const rows = page.locator("#records tbody tr.record");
    expect(await rows.count()).toBe(6);
    for (const app of await rows.locator('td[data-label="App"]').allInnerTexts()) expect(app).toBe("app:prober");

    // Per purpose instead of per app: the same chart, redrawn.
    await page.selectOption("#group-by", "purpose");
    expect(await page.locator(".charts[data-drawn]").count()).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows the most recent flags first and adds the rest a page at a time", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, timezoneId: "UTC" });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(system.gatewayUrl.replace("/graphql", "/audit"));
    await page.fill("#token", auditorToken);
    const day = STORM_DAY.toISOString().slice(0, 10);
    await page.fill('input[name="since"]', `${day}T00:00`);
    await page.fill('input[name="until"]', `${day}T23:59`);
    await page.click("#search");
    await page.waitForSelector("#anomalies li");
    const flags = page.locator("#anomalies li");
    expect(await flags.count()).toBe(20);
    expect(await page.textContent("#anomalies-info")).toBe("20 of 36 flags in this range, the most recent first.");
    // The newest hour's flags first: 02:00 in Shanghai (18:00 UTC), the apps that read 6 times before those that read 5.
    expect(await flags.first().innerText()).toContain("read data 6 times at 02:00");
    expect(await flags.nth(11).innerText()).toContain("read data 5 times at 02:00");
    expect(await flags.nth(12).innerText()).toContain("at 01:00");
    expect(await page.isVisible("#more-anomalies")).toBe(true);

    await page.click("#more-anomalies");
    await page.waitForFunction(() => document.querySelectorAll("#anomalies li").length === 36);
    expect(await page.textContent("#anomalies-info")).toBe("36 flags in this range.");
    expect(await page.isVisible("#more-anomalies")).toBe(false);
    const texts = await flags.allInnerTexts();
    expect(new Set(texts).size).toBe(36);
    expect(texts.at(-1)).toContain("at 00:00");
    // Each added flag still opens its records.
    await flags.last().locator("button.show-records").click();
    await page.waitForFunction(() => (document.querySelector("#page-info")?.textContent ?? "").includes("Off-hours burst"));
    expect(await page.locator("#records tbody tr.record").count()).toBe(5);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("clears earlier results when a search fails", async () => {
    const page = await browser.newPage();
    await page.goto(system.gatewayUrl.replace("/graphql", "/audit"));
    await page.fill("#token", auditorToken);
    await page.click("#search");
    await page.waitForSelector("#records tbody tr.record");
    await page.fill("#token", "not-a-token");
    await page.click("#search");
    await page.waitForFunction(() => (document.querySelector("#message")?.textContent ?? "").length > 0);
    expect(await page.textContent("#message")).toContain("UNAUTHENTICATED");
    expect(await page.locator("#records tbody tr").count()).toBe(0);
    expect(await page.textContent("#page-info")).toBe("");
    expect(await page.isDisabled("#next-page")).toBe(true);
    expect(await page.locator(".charts[data-drawn]").count()).toBe(0);
    expect(await page.locator("#anomalies li").count()).toBe(0);
    await page.close();
  });

  it("fits a narrow screen and draws the Chinese heading with real glyphs", async () => {
    const context = await browser.newContext({ viewport: { width: 380, height: 800 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(system.gatewayUrl.replace("/graphql", "/audit"));
    await page.fill("#token", auditorToken);
    await page.fill('input[name="app"]', "app:counter-desk");
    await page.click("#search");
    await page.waitForSelector("#records tbody tr.record");
    // No page-wide horizontal scrolling: every record is a card of labelled lines.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(380);
    expect(await page.locator("#records thead").isVisible()).toBe(false);
    const card = page.locator("#records tbody tr.record").first();
    expect((await card.boundingBox())!.width).toBeLessThanOrEqual(380);
    expect(await card.locator('td[data-label="App"]').isVisible()).toBe(true);

    const family = await page.evaluate(() => getComputedStyle(document.querySelector("h1")!).fontFamily);
    expect(family).toContain("Noto Sans CJK SC");
    expect(family).toContain("Microsoft YaHei");
    // Where no font has a glyph, 审 and 计 both render as the same box; real glyphs differ.
    const distinct = await page.evaluate(() => {
      const font = getComputedStyle(document.querySelector("h1")!).font;
      const draw = (text: string) => {
        const canvas = document.createElement("canvas");
        canvas.width = 64;
        canvas.height = 64;
        const g = canvas.getContext("2d")!;
        g.font = font;
        g.textBaseline = "top";
        g.fillText(text, 4, 4);
        return Array.from(g.getImageData(0, 0, 64, 64).data).join(",");
      };
      return draw("审") !== draw("计");
    });
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: `${RESULTS}audit-page-narrow.png`, fullPage: false });
    expect(distinct, "审 and 计 render alike: no CJK font is installed (apt-get install fonts-noto-cjk)").toBe(true);
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
