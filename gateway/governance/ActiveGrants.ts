/** What an app may use for one purpose: the union of its active grants. */
export interface ActiveGrants {
  scopes: ReadonlySet<string>;
  /**
   * Arguments the grants fix for verification fields, by field coordinate
   * (e.g. `Citizen.incomeAtLeast` → `{ amount: "100000.00" }`); a field
   * absent here may be asked with any arguments.
   */
  fixedArguments: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** When the earliest of these grants expires (ms since epoch); Infinity when none. */
  validUntil: number;
}
