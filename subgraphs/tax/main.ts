// Starts the tax subgraph process (PORT, DATA_DIR, DATABASE_URL: see ../shared/config.ts).
import { runSubgraph } from "../shared/startSubgraph.ts";
import { tax } from "./server.ts";

await runSubgraph(tax);
