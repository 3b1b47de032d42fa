/**
 * `Money`: CNY as a decimal string with exactly two decimals. Arithmetic and
 * comparison go through integer cents (bigint), never through floats.
 */

const MONEY = /^-?(0|[1-9]\d{0,15})\.\d{2}$/;

/** Whether `value` is a canonical Money string such as `"86400.00"`. */
export function isMoney(value: unknown): value is string {
  return typeof value === "string" && MONEY.test(value);
}

/** Money string → integer cents. @throws on a non-canonical string */
export function moneyToCents(value: string): bigint {
  if (!isMoney(value)) throw new TypeError("not a Money string");
  const negative = value.startsWith("-");
  const [units, cents] = value.replace("-", "").split(".") as [string, string];
  const total = BigInt(units) * 100n + BigInt(cents);
  return negative ? -total : total;
}

/** Integer cents → Money string. */
export function centsToMoney(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? "-" : ""}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

/**
 * A database decimal (Prisma's Decimal, which prints exactly) → Money string.
 * @throws on a JavaScript number: money is never a float.
 */
export function decimalToMoney(value: { toFixed(digits: number): string } | string): string {
  if (typeof value === "string") return centsToMoney(moneyToCents(value));
  if (typeof value === "number") throw new TypeError("money must not be a float");
  return value.toFixed(2);
}
