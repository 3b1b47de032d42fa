import { describe, expect, it } from "vitest";
import { centsToMoney, decimalToMoney, isMoney, moneyToCents } from "../../platform/standard/money.ts";

describe("Money", () => {
  it.each([
    ["86400.00", 8_640_000n],
    ["0.00", 0n],
    ["0.05", 5n],
    ["0.50", 50n],
    ["1.99", 199n],
    ["600000.00", 60_000_000n],
    ["-0.01", -1n],
    ["-12.34", -1234n],
    ["-412000.00", -41_200_000n],
    ["9999999999999999.99", 999_999_999_999_999_999n],
  ])("%s is %d cents and back", (money, cents) => {
    expect(moneyToCents(money)).toBe(cents);
    expect(centsToMoney(cents)).toBe(money);
  });

  it("round-trips every cent amount in a range around zero", () => {
    for (let cents = -1_050n; cents <= 1_050n; cents++) {
      const money = centsToMoney(cents);
      expect(isMoney(money), money).toBe(true);
      expect(moneyToCents(money)).toBe(cents);
    }
  });

  it.each(["1.5", "1e3", "1", "1.500", ".50", "01.00", "+1.00", "1,000.00", " 1.00", "NaN", "", "-"])(
    "rejects the non-canonical string %j",
    (value) => {
      expect(isMoney(value)).toBe(false);
      expect(() => moneyToCents(value)).toThrow();
      expect(() => decimalToMoney(value)).toThrow();
    },
  );

  it("rejects a JavaScript number in decimalToMoney: money is never a float", () => {
    expect(() => decimalToMoney(1.5 as never)).toThrow();
    expect(() => decimalToMoney(86400 as never)).toThrow();
    expect(isMoney(1.5)).toBe(false);
  });

  it("formats a database decimal with exactly two decimals", () => {
    const decimal = (text: string) => ({ toFixed: (digits: number) => Number(text).toFixed(digits) });
    expect(decimalToMoney(decimal("86400"))).toBe("86400.00");
    expect(decimalToMoney(decimal("1860.5"))).toBe("1860.50");
  });

  it("passes a canonical string through decimalToMoney unchanged", () => {
    expect(decimalToMoney("13425.00")).toBe("13425.00");
    expect(decimalToMoney("-0.07")).toBe("-0.07");
  });
});
