/**
 * The bench's workloads: fixed operations with variables, each request for
 * a different generated citizen (a fixed identical request would let a
 * gateway's in-flight deduplication skip the subgraphs).
 */
import { generatedCitizenId } from "../../subgraphs/shared/syntheticPopulation.ts";

export interface Workload {
  name: string;
  description: string;
  /** The request body of request number `n` (any integer ≥ 0). */
  body(n: number): string;
}

/** One citizen's fields from all five agencies, as an app at the counter asks. */
export const ONE_STOP = `query OneStop($id: ID!) {
  citizen(id: $id) {
    name gender birthDate maritalStatus
    spouse { name }
    housingFundAccount { status balance monthlyDeposit loans { outstanding collateral { address owners { share owner { name } } } } }
    properties { address floorArea deedTaxPaid }
    incomeRecord(year: 2025) { totalIncome taxPaid }
    creditReport { score rating }
    isDishonestDebtor
  }
}`;

/** A few fields per agency for many citizens at once. */
export const BATCH = `query Batch($ids: [ID!]!) {
  citizens(ids: $ids) {
    name maritalStatus
    housingFundAccount { status balance }
    properties { address floorArea }
    incomeRecord(year: 2025) { totalIncome }
    creditReport { score }
  }
}`;

/** Verification fields only (可用不可见): yes/no answers from four agencies. */
const VERIFY = `query Verify($id: ID!) {
  citizen(id: $id) {
    housingFundContributedMonths(atLeast: 12)
    ownsResidentialPropertyIn(city: "北京市")
    incomeAtLeast(year: 2025, amount: "100000.00")
    isDishonestDebtor
  }
}`;

/** The ids of generated citizens 0 … citizens-1. */
export function citizenIds(citizens: number): string[] {
  return Array.from({ length: citizens }, (_, i) => generatedCitizenId(i));
}

export function oneStopWorkload(ids: readonly string[]): Workload {
  return {
    name: "one-stop",
    description: "one citizen, fields from all five agencies (with spouse, loan collateral and its owners)",
    body: (n) => JSON.stringify({ operationName: "OneStop", query: ONE_STOP, variables: { id: ids[n % ids.length] } }),
  };
}

export function batchWorkload(ids: readonly string[], size: number): Workload {
  return {
    name: `batch-${size}`,
    description: `citizens(ids:) with ${size} ids, a few fields per agency`,
    body: (n) => {
      const start = (n * size) % ids.length;
      const batch = Array.from({ length: size }, (_, i) => ids[(start + i) % ids.length]);
      return JSON.stringify({ operationName: "Batch", query: BATCH, variables: { ids: batch } });
    },
  };
}

export function verifyWorkload(ids: readonly string[]): Workload {
  return {
    name: "verify",
    description: "verification fields only (four yes/no answers)",
    body: (n) => JSON.stringify({ operationName: "Verify", query: VERIFY, variables: { id: ids[n % ids.length] } }),
  };
}

/** The three compared workloads, by name. */
export function standardWorkloads(ids: readonly string[]): Workload[] {
  return [oneStopWorkload(ids), batchWorkload(ids, 50), verifyWorkload(ids)];
}
