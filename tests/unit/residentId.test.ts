import { describe, expect, it } from "vitest";
import {
  birthDateOfResidentId,
  genderOfResidentId,
  isResidentId,
  residentIdCheckCharacter,
} from "../../platform/standard/residentId.ts";

/** The standard's four demo citizens, plus 张敏's former wife who is also seeded. */
const DEMO_IDS = {
  李伟: "140105198605150031",
  王芳: "140105198803120028",
  张敏: "330106197501050017",
  赵磊: "14010519650909005X",
} as const;

/** A full id from 17 digits, with the right check character. */
const withCheck = (first17: string) => first17 + residentIdCheckCharacter(first17);

/** Every check character but the right one. */
function wrongCheckCharacters(first17: string): string[] {
  return [..."0123456789X"].filter((c) => c !== residentIdCheckCharacter(first17));
}

describe("GB 11643 resident identity numbers", () => {
  it.each(Object.entries(DEMO_IDS))("accepts the demo id of %s", (_name, id) => {
    expect(isResidentId(id)).toBe(true);
  });

  it("accepts 陈静's id (seeded as 张敏's former wife)", () => {
    expect(isResidentId("330106197708120043")).toBe(true);
  });

  it("computes the ISO 7064 MOD 11-2 check character of the demo ids, including X", () => {
    for (const id of Object.values(DEMO_IDS)) expect(residentIdCheckCharacter(id.slice(0, 17))).toBe(id[17]);
    expect(residentIdCheckCharacter("14010519650909005")).toBe("X");
  });

  it.each(Object.entries(DEMO_IDS))("rejects %s's id with any other check character", (_name, id) => {
    for (const wrong of wrongCheckCharacters(id.slice(0, 17))) {
      expect(isResidentId(id.slice(0, 17) + wrong), id.slice(0, 17) + wrong).toBe(false);
    }
  });

  it("rejects a single changed digit (the check character catches it)", () => {
    const id = DEMO_IDS.李伟;
    for (let position = 6; position < 17; position++) {
      const digit = id[position]!;
      const changed = String((Number(digit) + 1) % 10);
      const altered = id.slice(0, position) + changed + id.slice(position + 1);
      expect(isResidentId(altered), altered).toBe(false);
    }
  });

  it.each([
    ["30 February", "19900230"],
    ["31 April", "19900431"],
    ["29 February in a common year", "19900229"],
    ["29 February 1900 (not a leap year)", "19000229"],
    ["month 13", "19901301"],
    ["month 00", "19900001"],
    ["day 00", "19900100"],
    ["day 32", "19900132"],
  ])("rejects an impossible birth date (%s) even with the right check character", (_what, date) => {
    const id = withCheck(`110101${date}001`);
    expect(id).toHaveLength(18);
    expect(isResidentId(id)).toBe(false);
  });

  it("accepts 29 February in a leap year", () => {
    expect(isResidentId(withCheck("11010120000229001"))).toBe(true);
  });

  it("rejects birth years before 1900", () => {
    expect(isResidentId(withCheck("11010118991231001"))).toBe(false);
    expect(isResidentId(withCheck("11010119000101001"))).toBe(true);
  });

  it("rejects birth dates in the future", () => {
    const nextYear = new Date().getUTCFullYear() + 1;
    expect(isResidentId(withCheck(`110101${nextYear}0101001`))).toBe(false);
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10).replace(/-/g, "");
    expect(isResidentId(withCheck(`110101${tomorrow}001`))).toBe(false);
  });

  it("rejects a lowercase x check character", () => {
    expect(isResidentId("14010519650909005x")).toBe(false);
  });

  it.each([
    ["empty", ""],
    ["17 characters", "14010519860515003"],
    ["19 characters", "1401051986051500310"],
    ["15-digit first-generation id", "140105860515003"],
    ["surrounding whitespace", " 140105198605150031 "],
    ["letters", "14010519860515003A"],
    ["an X before the end", "1401051986051500X1"],
    ["area code starting with 0", withCheck("04010519860515003")],
    ["full-width digits", "１４０１０５１９８６０５１５００３１"],
  ])("rejects a malformed id: %s", (_what, value) => {
    expect(isResidentId(value)).toBe(false);
  });

  it("reads the gender from the 17th digit (odd: male)", () => {
    expect(genderOfResidentId(DEMO_IDS.李伟)).toBe("MALE");
    expect(genderOfResidentId(DEMO_IDS.王芳)).toBe("FEMALE");
    expect(genderOfResidentId(DEMO_IDS.张敏)).toBe("MALE");
    expect(genderOfResidentId(DEMO_IDS.赵磊)).toBe("MALE");
    for (let digit = 0; digit <= 9; digit++) {
      const id = withCheck(`1101011990010100${digit}`);
      expect(genderOfResidentId(id), id).toBe(digit % 2 === 1 ? "MALE" : "FEMALE");
    }
  });

  it("reads the birth date from digits 7-14", () => {
    expect(birthDateOfResidentId(DEMO_IDS.李伟)).toBe("1986-05-15");
    expect(birthDateOfResidentId(DEMO_IDS.赵磊)).toBe("1965-09-09");
  });
});
