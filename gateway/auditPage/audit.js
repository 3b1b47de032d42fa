// The auditor's page: talks to the gateway's /graphql with the pasted token. Every value is
// rendered with textContent, never as HTML; the token stays in this page (sessionStorage only).
"use strict";

const PAGE_SIZE = 25;
const FIELDS = "seq time requestId app tokenId purpose operationName operationHash citizenPseudonyms requestedFields grantedFields deniedFields outcome dataReleased errorCodes subgraphs latencyMs clientAddress prevHash hash";
const LIST = `query AuditPage($filter: AuditRecordFilter, $first: Int, $after: String) {
  auditRecords(filter: $filter, first: $first, after: $after) { records { ${FIELDS} } nextCursor } }`;
const VERIFY = "query AuditChain { auditChain { ok records signedHeads firstBadRecord problem } }";

const $ = (id) => document.getElementById(id);
const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("auditToken") || "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("auditToken", tokenInput.value.trim()));

let cursors = [null];

async function graphql(query, variables) {
  const token = tokenInput.value.trim();
  if (!token) throw new Error("Paste an auditor token first.");
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    const codes = body.errors.map((e) => (e.extensions && e.extensions.code) || "ERROR");
    throw new Error(`${codes.join(", ")}: ${body.errors[0].message}`);
  }
  return body.data;
}

function currentFilter() {
  const form = new FormData($("filters"));
  const filter = {};
  for (const name of ["app", "citizen", "field", "purpose", "outcome"]) {
    const value = String(form.get(name) || "").trim();
    if (value) filter[name] = value;
  }
  for (const name of ["since", "until"]) {
    const value = String(form.get(name) || "");
    if (value) filter[name] = new Date(value).toISOString();
  }
  return filter;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
}

function render(records) {
  const body = $("records").querySelector("tbody");
  body.replaceChildren();
  for (const r of records) {
    const row = document.createElement("tr");
    row.dataset.seq = r.seq;
    cell(row, r.seq);
    cell(row, new Date(r.time).toLocaleString());
    cell(row, r.outcome, r.outcome);
    cell(row, r.app || "–");
    cell(row, r.purpose || "–");
    cell(row, r.operationName || (r.operationHash ? r.operationHash.slice(0, 12) + "…" : "–"));
    cell(row, r.requestedFields.join(", "), "fields");
    cell(row, r.deniedFields.join(", "), "fields");
    cell(row, r.citizenPseudonyms.map((p) => p.slice(0, 10) + "…").join(" "), "citizens");
    cell(row, r.subgraphs.join(", "));
    cell(row, String(r.latencyMs));
    body.appendChild(row);
  }
}

async function loadPage(index) {
  $("message").textContent = "";
  try {
    const data = await graphql(LIST, { filter: currentFilter(), first: PAGE_SIZE, after: cursors[index] });
    const page = data.auditRecords;
    render(page.records);
    cursors = cursors.slice(0, index + 1);
    if (page.nextCursor) cursors.push(page.nextCursor);
    $("next-page").disabled = !page.nextCursor;
    $("next-page").dataset.index = String(index + 1);
    $("first-page").disabled = index === 0;
    $("page-info").textContent = `page ${index + 1}, ${page.records.length} records`;
  } catch (error) {
    $("message").textContent = error.message;
  }
}

async function verify() {
  const chain = $("chain");
  chain.className = "";
  chain.textContent = "Verifying…";
  try {
    const { auditChain } = await graphql(VERIFY, {});
    chain.className = auditChain.ok ? "ok" : "bad";
    chain.textContent = auditChain.ok
      ? `✔ Chain verifies: ${auditChain.records} records, ${auditChain.signedHeads} signed heads.`
      : `✘ Chain broken at record ${auditChain.firstBadRecord}: ${auditChain.problem}`;
  } catch (error) {
    chain.className = "bad";
    chain.textContent = error.message;
  }
}

function csvValue(value) {
  let text = Array.isArray(value) ? value.join(" ") : value === null || value === undefined ? "" : String(value);
  // Spreadsheet formula injection: a leading =, +, - or @ is kept as text.
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

async function exportCsv() {
  $("message").textContent = "";
  try {
    const columns = FIELDS.split(" ");
    const lines = [columns.join(",")];
    let after = null;
    for (let pages = 0; pages < 40; pages++) {
      const data = await graphql(LIST, { filter: currentFilter(), first: 500, after });
      for (const r of data.auditRecords.records) lines.push(columns.map((c) => csvValue(r[c])).join(","));
      after = data.auditRecords.nextCursor;
      if (!after) break;
    }
    const blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `audit-${new Date().toISOString().slice(0, 19).replace(/:/g, "")}.csv`;
    document.body.appendChild(link);
    link.click();
    link.remove();
  } catch (error) {
    $("message").textContent = error.message;
  }
}

$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  cursors = [null];
  loadPage(0);
});
$("next-page").addEventListener("click", () => loadPage(Number($("next-page").dataset.index)));
$("first-page").addEventListener("click", () => loadPage(0));
$("verify").addEventListener("click", verify);
$("export").addEventListener("click", exportCsv);
