/** Every Prisma schema of the project, relative to its root: one per agency and the gateway's. */
import { readdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("..", import.meta.url));

export function prismaSchemaPaths(): string[] {
  const agencies = readdirSync(join(root, "subgraphs"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, "subgraphs", entry.name, "prisma/schema.prisma")))
    .map((entry) => `subgraphs/${entry.name}/prisma/schema.prisma`);
  const gateway = "gateway/audit/prisma/schema.prisma";
  return existsSync(join(root, gateway)) ? [...agencies, gateway] : agencies;
}
