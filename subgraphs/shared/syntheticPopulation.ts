/**
 * The deterministic synthetic population used for load tests. Citizen number
 * `index` has the same identity and the same facts in every agency, so five
 * separately seeded databases agree with each other, like real registries.
 *
 * Generated ids use area code 110101 (北京市东城区), birth dates from
 * 1960-01-01 on (one day per thousand citizens) and sequence `index % 1000`,
 * so they are valid, unique, and never collide with the demo citizens.
 */
import { residentIdCheckCharacter } from "../../platform/standard/residentId.ts";

const AREA_CODE = "110101";
const FIRST_BIRTH_DAY = Date.UTC(1960, 0, 1);
const DAY = 86_400_000;
const SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗";
const GIVEN_NAMES = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"];

export interface GeneratedCitizen {
  index: number;
  id: string;
  name: string;
  gender: "MALE" | "FEMALE";
  birthDate: Date;
}

/** The resident id of generated citizen `index`. */
export function generatedCitizenId(index: number): string {
  const birth = new Date(FIRST_BIRTH_DAY + Math.floor(index / 1000) * DAY).toISOString();
  const first17 = `${AREA_CODE}${birth.slice(0, 4)}${birth.slice(5, 7)}${birth.slice(8, 10)}${String(index % 1000).padStart(3, "0")}`;
  return first17 + residentIdCheckCharacter(first17);
}

/** Generated citizen `index`. */
export function generatedCitizen(index: number): GeneratedCitizen {
  const id = generatedCitizenId(index);
  return {
    index,
    id,
    name: SURNAMES[index % SURNAMES.length]! + GIVEN_NAMES[(index * 7 + Math.floor(index / 20)) % GIVEN_NAMES.length]!,
    gender: (index % 1000) % 2 === 1 ? "MALE" : "FEMALE",
    birthDate: new Date(FIRST_BIRTH_DAY + Math.floor(index / 1000) * DAY),
  };
}

/** The index of the spouse of citizen `index`, or null when single: every third pair (2k, 2k+1) is married. */
export function spouseIndexOf(index: number): number | null {
  return Math.floor(index / 2) % 3 === 0 ? index ^ 1 : null;
}

/** The certificate number of the home citizen `index` owns (with the spouse, 50% each), or null. */
export function homeCertificateOf(index: number): string | null {
  const spouse = spouseIndexOf(index);
  if (spouse !== null) {
    const pair = Math.min(index, spouse);
    return Math.floor(pair / 2) % 2 === 0 ? certificate(pair) : null;
  }
  return index % 4 === 1 ? certificate(index) : null;
}

/** The owners of home `certificateOf(i)` when `i` is its first owner, else null (so each home is written once). */
export function homeOwnersOf(index: number): number[] | null {
  const home = homeCertificateOf(index);
  if (home === null) return null;
  const spouse = spouseIndexOf(index);
  if (spouse === null) return [index];
  return index < spouse ? [index, spouse] : null;
}

function certificate(index: number): string {
  return `京(2020)东城区不动产权第${String(index).padStart(7, "0")}号`;
}

/** Whether citizen `index` has a housing-fund account (four in five do). */
export function hasHousingFundAccount(index: number): boolean {
  return index % 5 !== 4;
}

/** Whether citizen `index` has a 2025 income record (nine in ten do). */
export function hasIncomeRecord(index: number): boolean {
  return index % 10 !== 9;
}

/** A number in [0, 1) that depends only on `index` and `salt`. */
export function unitRandom(index: number, salt: number): number {
  let t = (index * 2_654_435_761 + salt * 40_503 + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}

/** Calls `write` with consecutive slices of `range` of at most `size` indexes. */
export async function forEachChunk(
  range: { from: number; count: number },
  size: number,
  write: (indexes: number[]) => Promise<void>,
): Promise<void> {
  for (let start = range.from; start < range.from + range.count; start += size) {
    const end = Math.min(start + size, range.from + range.count);
    await write(Array.from({ length: end - start }, (_, i) => start + i));
  }
}
