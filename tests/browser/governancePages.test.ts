/**
 * The catalog page (/catalog) and the sharing page (/sharing) in headless
 * Chromium: search the catalog grouped by agency; an app team registers and
 * applies; the tax bureau's approver approves one application and refuses
 * another with a reason, revokes a grant, and reads its usage.
 */
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { postGraphQL } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER) throw new Error(`REQUIRE_BROWSER is set but ${CHROMIUM} is missing`);
const LI_WEI = "140105198605150031";

describe.skipIf(!available)("catalog and sharing pages in headless Chromium", () => {
  let system: System;
  let browser: Browser;
  const sign = (subject: string, scopes: string[], purpose: string) =>
    signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes, purpose });

  beforeAll(async () => {
    system = await startSystem({ suite: "governance-pages", grants: [] });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    mkdirSync(RESULTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  async function open(path: string, token: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(system.gatewayUrl.replace("/graphql", path));
    await page.fill("#token", token);
    await page.dispatchEvent("#token", "change");
    return { page, errors };
  }

  it("/catalog lists every agency's fields with level, class and scope, and searches", async () => {
    const { page, errors } = await open("/catalog", await sign("app:browsing", [], "CATALOG"));
    await page.click("#load");
    await page.waitForSelector("section[data-agency] tbody tr");
    expect(await page.locator("section[data-agency]").evaluateAll((s) => s.map((e) => (e as HTMLElement).dataset.agency))).toEqual(["civil-affairs", "credit", "housing-fund", "real-estate", "tax"]);
    const income = await page.locator('tr[data-coordinate="Citizen.incomeRecord"]').innerText();
    expect(income).toContain("L4");
    expect(income).toContain("CONDITIONAL");
    expect(income).toContain("tax:income");
    expect(income).toContain("个人所得记录");
    await page.fill("#search-text", "账户余额");
    await page.waitForFunction(() => document.querySelectorAll("section[data-agency] tbody tr").length === 1);
    expect(await page.locator("section[data-agency] tbody tr").innerText()).toContain("HousingFundAccount.balance");
    await page.screenshot({ path: `${RESULTS}catalog-page.png`, fullPage: false });
    expect(errors).toEqual([]);
  });

  it("/sharing: an app applies; the tax approver approves one application, refuses another with a reason, and revokes", async () => {
    const app = "app:counter-web";
    const appPage = await open("/sharing", await sign(app, [], "SETUP"));
    await appPage.page.fill('#register input[name="app"]', app);
    await appPage.page.fill('#register input[name="department"]', "太原市政务服务中心");
    await appPage.page.fill('#register input[name="contact"]', "窗口科 0351-1234567");
    await appPage.page.click('#register button[type="submit"]');
    await appPage.page.waitForFunction(() => document.querySelector("#notice")?.textContent?.startsWith("Registered"));
    for (const [purpose, scopes] of [["HPF_WITHDRAWAL_HOME_PURCHASE", "tax:income tax:verify"], ["MARKETING", "tax:property"]]) {
      await appPage.page.fill('#apply input[name="app"]', app);
      await appPage.page.fill('#apply input[name="purpose"]', purpose!);
      await appPage.page.fill('#apply input[name="scopes"]', scopes!);
      await appPage.page.fill('#apply input[name="description"]', "提取公积金购房 checks income");
      await appPage.page.fill('#apply input[name="legalBasis"]', "《住房公积金管理条例》第二十四条");
      await appPage.page.fill('#apply input[name="scenario"]', "窗口办理 counter service");
      await appPage.page.evaluate(() => (document.querySelector("#notice")!.textContent = ""));
      await appPage.page.click('#apply button[type="submit"]');
      await appPage.page.waitForFunction(() => document.querySelector("#notice")?.textContent?.startsWith("Filed"));
      expect(await appPage.page.textContent("#notice")).toContain("tax PENDING");
    }
    expect(appPage.errors).toEqual([]);

    const reader = await sign(app, ["tax:income"], "HPF_WITHDRAWAL_HOME_PURCHASE");
    const incomeQuery = `{ citizen(id: "${LI_WEI}") { incomeRecord(year: 2025) { totalIncome } } }`;
    const before = await postGraphQL(system.gatewayUrl, incomeQuery, undefined, { authorization: `Bearer ${reader}` });
    expect(before.body.errors?.[0]?.extensions?.reason).toBe("NO_GRANT");

    const { page, errors } = await open("/sharing", await sign("user:tax-approver", ["grants:approve:tax"], "GRANT_REVIEW"));
    await page.fill('#lists input[name="agency"]', "tax");
    await page.click("#load");
    await page.waitForSelector('#applications tr[data-status="PENDING"]');
    expect(await page.locator('#applications tr[data-status="PENDING"]').count()).toBe(2);
    const forHome = page.locator('#applications tr[data-status="PENDING"]', { hasText: "HPF_WITHDRAWAL_HOME_PURCHASE" });
    expect(await forHome.innerText()).toContain("0 working days");
    await forHome.getByRole("button", { name: /Approve/ }).click();
    await page.waitForSelector('#applications tr[data-status="APPROVED"]');

    const marketing = page.locator('#applications tr[data-status="PENDING"]', { hasText: "MARKETING" });
    await marketing.getByRole("button", { name: /Refuse/ }).click();
    await page.waitForFunction(() => document.querySelector("#message")?.textContent?.startsWith("BAD_USER_INPUT"));
    await marketing.locator("input.reason").fill("营销不属于政务服务用途");
    await marketing.getByRole("button", { name: /Refuse/ }).click();
    await page.waitForSelector('#applications tr[data-status="REFUSED"]');
    expect(await page.locator('#applications tr[data-status="REFUSED"]').innerText()).toContain("营销不属于政务服务用途");

    const after = await postGraphQL(system.gatewayUrl, incomeQuery, undefined, { authorization: `Bearer ${reader}` });
    expect(after.body.data.citizen.incomeRecord).toEqual({ totalIncome: "186000.00" });

    const income = page.locator('#grants tr[data-status="ACTIVE"]', { hasText: "tax:income" });
    await income.locator("input.reason").fill("窗口业务调整");
    await income.getByRole("button", { name: /Revoke/ }).click();
    await page.waitForSelector('#grants tr[data-status="REVOKED"]');
    const revoked = await postGraphQL(system.gatewayUrl, incomeQuery, undefined, { authorization: `Bearer ${reader}` });
    expect(revoked.body.errors?.[0]?.extensions?.reason).toBe("NO_GRANT");

    await page.fill('#usage-form input[name="agency"]', "tax");
    await page.click('#usage-form button[type="submit"]');
    await page.waitForSelector("#usage tbody tr");
    const usage = await page.locator("#usage").innerText();
    expect(usage).toContain("Citizen.incomeRecord");
    expect(usage).toContain(app);
    await page.screenshot({ path: `${RESULTS}sharing-page.png`, fullPage: true });
    expect(errors).toEqual([]);
  });
});
