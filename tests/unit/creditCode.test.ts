import { describe, expect, it } from "vitest";
import { creditCodeCheckCharacter, isCreditCode } from "../../platform/standard/creditCode.ts";

const CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/** 李伟's employer, 山西晋阳数据科技有限公司. */
const DEMO_CODE = "91140100MA0GRX1A1J";

describe("GB 32100 unified social credit codes", () => {
  it("accepts the demo employer's code", () => {
    expect(isCreditCode(DEMO_CODE)).toBe(true);
    expect(creditCodeCheckCharacter(DEMO_CODE.slice(0, 17))).toBe("J");
  });

  it.each(["91140100MA0H2K3L5W", "91330106MA2B7C8D9F", "91110101MA01ABCD2C"])(
    "accepts the other seeded employer code %s",
    (code) => {
      expect(isCreditCode(code)).toBe(true);
    },
  );

  it("rejects the demo code with any other check character", () => {
    const wrong = [...CHARSET].filter((c) => c !== "J");
    expect(wrong).toHaveLength(30);
    for (const c of wrong) expect(isCreditCode(DEMO_CODE.slice(0, 17) + c), c).toBe(false);
  });

  it("rejects a changed character in the body", () => {
    expect(isCreditCode("91140100MA0GRX1A2J")).toBe(false);
  });

  it.each(["I", "O", "S", "V", "Z"])("rejects the forbidden letter %s whatever the check character", (letter) => {
    const body = DEMO_CODE.slice(0, 10) + letter + DEMO_CODE.slice(11, 17);
    expect(body).toHaveLength(17);
    for (const check of CHARSET) expect(isCreditCode(body + check), body + check).toBe(false);
    expect(isCreditCode(DEMO_CODE.slice(0, 17) + letter)).toBe(false);
  });

  it.each([
    ["lowercase", DEMO_CODE.toLowerCase()],
    ["17 characters", DEMO_CODE.slice(0, 17)],
    ["19 characters", `${DEMO_CODE}0`],
    ["empty", ""],
    ["whitespace", ` ${DEMO_CODE}`],
  ])("rejects a malformed code: %s", (_what, value) => {
    expect(isCreditCode(value)).toBe(false);
  });
});
