/**
 * GB 11643 resident identity numbers: 6-digit area code, birth date
 * `YYYYMMDD`, 3-digit sequence and an ISO 7064 MOD 11-2 check character.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARACTERS = "10X98765432";
const SHAPE = /^[1-9]\d{5}(\d{4})(\d{2})(\d{2})\d{3}[\dX]$/;

/** The MOD 11-2 check character for the first 17 digits of a resident id. */
export function residentIdCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARACTERS[sum % 11]!;
}

/** Whether `year-month-day` is a real calendar date. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Whether `value` is a well-formed resident id: shape, a real birth date not
 * before 1900 and not in the future, and the right check character.
 */
export function isResidentId(value: string): boolean {
  const match = SHAPE.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1900 || !isCalendarDate(year, month, day)) return false;
  if (Date.UTC(year, month - 1, day) > Date.now()) return false;
  return residentIdCheckCharacter(value.slice(0, 17)) === value[17];
}

/** The birth date (`YYYY-MM-DD`) encoded in a valid resident id. */
export function birthDateOfResidentId(id: string): string {
  return `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
}

/** The gender encoded in the 17th digit of a resident id (odd: male). */
export function genderOfResidentId(id: string): "MALE" | "FEMALE" {
  return (id.charCodeAt(16) - 48) % 2 === 1 ? "MALE" : "FEMALE";
}
