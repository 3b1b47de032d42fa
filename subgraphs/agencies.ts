/** The five agencies of the supergraph, in start-up order. A sixth is added here (see README). */
import { civilAffairs } from "./civil-affairs/server.ts";
import { credit } from "./credit/server.ts";
import { housingFund } from "./housing-fund/server.ts";
import { realEstate } from "./real-estate/server.ts";
import type { Agency } from "./shared/agency.ts";
import { tax } from "./tax/server.ts";

export const agencies: readonly Agency<any, any>[] = [civilAffairs, housingFund, realEstate, tax, credit];
