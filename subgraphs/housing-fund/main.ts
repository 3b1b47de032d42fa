// Starts the housing-fund subgraph process (PORT, DATA_DIR, DATABASE_URL: see ../shared/config.ts).
import { runSubgraph } from "../shared/startSubgraph.ts";
import { housingFund } from "./server.ts";

await runSubgraph(housingFund);
