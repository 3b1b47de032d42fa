// Starts the credit subgraph process (PORT, DATA_DIR, DATABASE_URL: see ../shared/config.ts).
import { runSubgraph } from "../shared/startSubgraph.ts";
import { credit } from "./server.ts";

await runSubgraph(credit);
