/**
 * A page of a range's anomaly flags, the most recent hour first and, within
 * an hour, the most severe first (observed over threshold), then by id. The
 * cursor is the last flag's place in that order (keyset), not an offset: a
 * later page starts right after it even if flags before it came or went.
 */
import { BadUserInputError } from "../../../platform/errors.ts";
import type { AuditAnomaly } from "./AuditAnomaly.ts";

export interface AuditAnomalyPage {
  flags: AuditAnomaly[];
  /** Every flag in the range. */
  total: number;
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** The most flags one page holds. */
export const MAX_ANOMALY_PAGE = 200;

/** Where a flag sorts: its hour (ms), its severity, its id. */
type Place = [since: number, severity: number, id: string];

/** How far past its threshold a flag is (a flag with no threshold ranks first). */
const severityOf = (flag: AuditAnomaly) => (flag.threshold > 0 ? flag.observed / flag.threshold : Number.MAX_VALUE);

const placeOf = (flag: AuditAnomaly): Place => [flag.scope.since.getTime(), severityOf(flag), flag.id];

/** Negative when `a` comes first: newest hour, then most severe, then id. */
function compare(a: Place, b: Place): number {
  return b[0] - a[0] || b[1] - a[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

const encode = (place: Place) => Buffer.from(JSON.stringify(place)).toString("base64url");

function decode(cursor: string): Place {
  try {
    const place: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(place) && place.length === 3 && Number.isFinite(place[0]) && typeof place[1] === "number" && typeof place[2] === "string") return place as Place;
  } catch {
    // reported below
  }
  throw new BadUserInputError("after must be a cursor from an earlier page of flags");
}

/** The page of `flags` (any order) after `after`, at most `first` flags. */
export function pageAuditAnomalies(flags: readonly AuditAnomaly[], page: { first: number; after?: string | null }): AuditAnomalyPage {
  const first = Math.max(1, Math.min(page.first, MAX_ANOMALY_PAGE));
  const after = page.after ? decode(page.after) : null;
  const placed = flags.map((flag) => ({ flag, place: placeOf(flag) }));
  const rest = after ? placed.filter((item) => compare(item.place, after) > 0) : placed;
  rest.sort((a, b) => compare(a.place, b.place));
  const taken = rest.slice(0, first);
  return {
    flags: taken.map((item) => item.flag),
    total: flags.length,
    nextCursor: rest.length > first ? encode(taken.at(-1)!.place) : null,
  };
}
