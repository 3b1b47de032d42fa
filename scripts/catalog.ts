// Prints the data catalog (数据目录) read from schema/supergraph.graphql: npm run catalog -- [--json | --markdown]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { formatCatalogMarkdown } from "../gateway/governance/formatCatalog.ts";
import { readCatalog } from "../gateway/governance/readCatalog.ts";

const SUPERGRAPH = fileURLToPath(new URL("../schema/supergraph.graphql", import.meta.url));

function main(): void {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--json" && a !== "--markdown");
  if (unknown.length > 0 || args.length > 1) {
    console.error("usage: npm run catalog -- [--json | --markdown]");
    process.exit(1);
  }
  const catalog = readCatalog(readFileSync(SUPERGRAPH, "utf8"));
  process.stdout.write(args[0] === "--json" ? `${JSON.stringify(catalog, null, 2)}\n` : formatCatalogMarkdown(catalog));
}

main();
