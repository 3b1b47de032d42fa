// The catalog page: fetches `catalog` once, then filters in the page and groups by agency.
"use strict";

const CATALOG = `query CatalogPage { catalog { coordinate agency level sharing scope type description arguments { name type } } }`;
bindToken($("token"));
let fields = null;

function render() {
  const needle = $("search-text").value.trim().toLowerCase();
  const agency = $("agency").value;
  const shown = fields.filter(
    (f) => (!agency || f.agency === agency) && (!needle || [f.coordinate, f.type, f.scope || "", f.description || "", f.agency].some((t) => t.toLowerCase().includes(needle))),
  );
  const out = $("catalog");
  out.replaceChildren();
  for (const name of [...new Set(shown.map((f) => f.agency))].sort()) {
    const group = element("section");
    group.dataset.agency = name;
    group.appendChild(element("h2", name));
    const rows = shown
      .filter((f) => f.agency === name)
      .map((f) => {
        const args = f.arguments.length ? `(${f.arguments.map((a) => `${a.name}: ${a.type}`).join(", ")})` : "";
        const tr = row([element("td", f.coordinate + args, "code"), element("td", f.type, "code"), element("td", f.level, f.level), element("td", f.sharing, f.sharing), element("td", f.scope || "authenticated", "code"), element("td", f.description, "description")]);
        tr.dataset.coordinate = f.coordinate;
        return tr;
      });
    group.appendChild(table(["field", "type", "level", "sharing", "scope", "description"], rows));
    out.appendChild(group);
  }
  say(`${shown.length} of ${fields.length} fields`, false);
}

$("search").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    if (!fields) {
      fields = (await graphql(CATALOG)).catalog;
      for (const name of [...new Set(fields.map((f) => f.agency))].sort()) $("agency").appendChild(element("option", name));
    }
    render();
  } catch (error) {
    fields = null;
    $("catalog").replaceChildren();
    say(error.message, true);
  }
});
$("search-text").addEventListener("input", () => fields && render());
$("agency").addEventListener("change", () => fields && render());
