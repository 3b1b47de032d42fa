/**
 * The agencies of the supergraph, in start-up order: each one listed in
 * agencies.json, loaded from its folder's server.ts (which exports `agency`).
 * A sixth is added with `npm run new-agency` (see README).
 */
import { readAgencyManifest } from "./agencyManifest.ts";
import type { Agency } from "./shared/agency.ts";

interface AgencyModule {
  agency: Agency;
}

// `.ts` from source, `.js` once compiled (npm run build): the same extension as this module's.
const extension = import.meta.url.slice(import.meta.url.lastIndexOf("."));

export const agencies: readonly Agency[] = await Promise.all(
  readAgencyManifest().map(async (entry) => {
    const server = new URL(`./${entry.name}/server${extension}`, import.meta.url).href;
    return ((await import(server)) as AgencyModule).agency;
  }),
);
