/**
 * The agencies of the supergraph, in start-up order: each one listed in
 * agencies.json, loaded from its folder's server.ts (which exports `agency`).
 * A sixth is added with `npm run new-agency` (see README).
 */
import { readAgencyManifest } from "./agencyManifest.ts";
import type { Agency } from "./shared/agency.ts";

interface AgencyModule {
  agency: Agency<any, any>;
}

export const agencies: readonly Agency<any, any>[] = await Promise.all(
  readAgencyManifest().map(async (entry) => ((await import(`./${entry.name}/server.ts`)) as AgencyModule).agency),
);
