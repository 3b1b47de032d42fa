// Starts every agency's subgraph in this one process, each on its own port with its own database (npm start's embedded default; see ./shared/runAgencies.ts).
import { agencies } from "./agencies.ts";
import { runAgencies } from "./shared/runAgencies.ts";

await runAgencies(agencies);
