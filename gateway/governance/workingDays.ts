/**
 * Working days (工作日) between two instants, for the 5-working-day answer
 * the owning agency owes an application. Saturdays and Sundays do not count;
 * public holidays and their make-up working days are not modelled (a
 * deployment that needs them replaces this function with the State
 * Council's yearly calendar).
 */

const DAY_MS = 86_400_000;

/** Whole working days elapsed from `from` to `to` (China Standard Time, UTC+8, where the agencies work). */
export function workingDaysBetween(from: Date, to: Date): number {
  const offset = 8 * 3_600_000;
  let day = Math.floor((from.getTime() + offset) / DAY_MS);
  const end = Math.floor((to.getTime() + offset) / DAY_MS);
  let count = 0;
  while (day < end) {
    day++;
    // 1970-01-01 was a Thursday: day % 7 === 2 is Saturday, 3 is Sunday.
    const weekday = ((day % 7) + 7) % 7;
    if (weekday !== 2 && weekday !== 3) count++;
  }
  return count;
}

/** The limit for an owning agency's answer to a conditional application. */
export const ANSWER_WITHIN_WORKING_DAYS = 5;
