/** The data catalog as Markdown: one table per agency, then the scopes and how each is shared. */
import type { Catalog } from "./readCatalog.ts";

const SHARING_TITLES = { UNCONDITIONAL: "无条件共享 unconditional", CONDITIONAL: "有条件共享 conditional", NOT_SHARED: "不予共享 not shared" } as const;

function cell(text: string | null): string {
  return (text ?? "").replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

export function formatCatalogMarkdown(catalog: Catalog): string {
  const lines = ["# Data catalog (数据目录)", ""];
  for (const agency of catalog.agencies) {
    lines.push(`## ${agency}`, "", "| field | type | level | sharing | scope | description |", "| --- | --- | --- | --- | --- | --- |");
    for (const field of catalog.fields.filter((f) => f.agency === agency)) {
      const args = field.arguments.length > 0 ? `(${field.arguments.map((a) => `${a.name}: ${a.type}`).join(", ")})` : "";
      lines.push(`| \`${field.coordinate}${args}\` | \`${field.type}\` | ${field.level} | ${field.sharing} | ${field.scope ? `\`${field.scope}\`` : "authenticated"} | ${cell(field.description)} |`);
    }
    lines.push("");
  }
  lines.push("## Scopes", "", "| scope | agency | level | sharing | fields |", "| --- | --- | --- | --- | --- |");
  for (const scope of catalog.scopes) {
    lines.push(`| \`${scope.scope}\` | ${scope.agency} | ${scope.level} | ${SHARING_TITLES[scope.sharing]} | ${scope.fields.map((f) => `\`${f}\``).join(", ")} |`);
  }
  return `${lines.join("\n")}\n`;
}
