/**
 * 王芳's withdrawal in headless Chromium (Debian's package, driven by
 * playwright-core): sign in, consent, apply, her spouse 李伟 consents, the
 * approval up to 52300.00 with each condition's answer, agency and verified
 * receipt, and who read her data. Saves a screenshot to tests/results/.
 */
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HPF_MINIMUM_GRANT, startHpfWithdrawalApp, type RunningApp } from "../support/startHpfWithdrawalApp.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER) throw new Error(`REQUIRE_BROWSER is set but ${CHROMIUM} is missing`);
if (!available) console.warn(`browser tests skipped: ${CHROMIUM} not found (apt-get install chromium)`);

describe.skipIf(!available)("the withdrawal app in headless Chromium", () => {
  let system: System;
  let app: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    system = await startSystem({ suite: "hpf_browser", grants: [HPF_MINIMUM_GRANT] });
    app = await startHpfWithdrawalApp(system);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await system?.stop();
  });

  it("walks 王芳 from sign-in to approval, with her spouse's consent", async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(app.url);

    await page.click('#citizens button[data-id="140105198803120028"]');
    await expect.poll(() => page.textContent("#signed-in")).toContain("王芳");
    expect(await page.locator("#needs tbody tr").count()).toBeGreaterThan(5);
    expect(await page.isDisabled("#consent")).toBe(true);
    await page.check("#agree");
    await page.click("#consent");
    await page.waitForSelector("#step-apply:not([hidden])");
    await page.fill("#amount", "");
    await page.click("#apply");

    await page.waitForSelector('#outcome[data-outcome="NEEDS_SPOUSE_CONSENT"]');
    await page.click('#spouse-citizens button[data-id="140105198605150031"]');
    await page.check("#spouse-agree");
    await page.click("#spouse-consent");

    await page.waitForSelector('#outcome[data-outcome="APPROVED"]');
    expect(await page.textContent("#amounts")).toContain("52300.00");
    const conditions = page.locator("#conditions tbody tr");
    expect(await conditions.count()).toBe(4);
    for (let i = 0; i < 4; i++) {
      const text = await conditions.nth(i).innerText();
      expect(text).toContain("yes");
      expect(text).toMatch(/#\d+ ✔/);
    }
    expect(await conditions.nth(1).innerText()).toContain("civil-affairs");
    expect(await conditions.nth(2).innerText()).toContain("real-estate");
    expect(await conditions.nth(3).innerText()).toContain("credit");

    // Who read her data: this app, for this purpose, with the agencies and the reasons.
    await page.waitForSelector("#access-log:not([hidden]) #log tbody tr");
    const log = await page.locator("#log tbody").innerText();
    expect(log).toContain("app:hpf-withdrawal");
    expect(log).toContain("HPF_WITHDRAWAL_LOAN_REPAYMENT");
    expect(log).toContain("HousingFundAccount.balance");
    expect(log).toContain("住房公积金管理中心");

    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: `${RESULTS}hpf-withdrawal-wang-fang.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
