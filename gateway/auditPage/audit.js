// The auditor's page: talks to the gateway's /graphql with the pasted token. Every value is
// rendered with textContent, never as HTML; the token stays in this page (sessionStorage only).
"use strict";

const PAGE_SIZE = 25;
const FIELDS = "seq time requestId app tokenId purpose operationName operationHash citizenPseudonyms requestedFields grantedFields deniedFields outcome dataReleased errorCodes subgraphs latencyMs clientAddress prevHash hash";
const LIST = `query AuditPage($filter: AuditRecordFilter, $first: Int, $after: String) {
  auditRecords(filter: $filter, first: $first, after: $after) { records { ${FIELDS} } nextCursor } }`;
const VERIFY = "query AuditChain { auditChain { ok records signedHeads firstBadRecord problem } }";
/** Flags per page: the most recent and most severe first, "More flags" for the rest. */
const FLAGS_PAGE = 20;
const FLAG_FIELDS = "id rule summary app purpose citizenPseudonym fields since until observed threshold";
/** The charts' counts and the first page of flags, in one request. */
const SUMMARY = `query AuditSummary($since: DateTime, $until: DateTime, $flags: Int) {
  auditSummary(since: $since, until: $until, topApps: 10) {
    since until hourly { hours rows { app purpose reads denials } } agencies { agency reads } levels { level reads } topApps { app citizens reads }
    anomalies(first: $flags) { total nextCursor flags { ${FLAG_FIELDS} } } } }`;
const MORE_FLAGS = `query AuditMoreFlags($since: DateTime, $until: DateTime, $flags: Int, $after: String) {
  auditSummary(since: $since, until: $until) { anomalies(first: $flags, after: $after) { total nextCursor flags { ${FLAG_FIELDS} } } } }`;
const FLAG_RECORDS = `query AuditFlagRecords($since: DateTime, $until: DateTime, $id: ID) {
  auditAnomalies(since: $since, until: $until, id: $id) { id records(first: 200) { ${FIELDS} } } }`;

/** What each anomaly rule means, for the flag list (the README's audit section says the same). */
const RULES = {
  DISTINCT_CITIZENS: ["Distinct citizens", "More distinct citizens in an hour than N times the app's trailing 7-day hourly median."],
  THRESHOLD_PROBING: ["Threshold probing", "One citizen's verification field asked with many distinct thresholds: what bisection looks like."],
  DENIAL_RATIO: ["Denial ratio", "The app's denied share in an hour jumped above its trailing 7-day share."],
  OFF_HOURS: ["Off-hours burst", "Reads outside the configured service hours."],
  PURPOSE_DRIFT: ["Purpose drift", "Fields its purpose does not usually touch."],
};

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

function cell(row, label, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  td.dataset.label = label;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

/** A name an auditor can read for an operation sent without one: what it asked for. */
function operationLabel(r) {
  if (r.operationName) return { text: r.operationName, anonymous: false };
  if (!r.operationHash) return { text: "(refused before parsing)", anonymous: true };
  const roots = r.requestedFields.filter((f) => /^(Query|Mutation)\./.test(f)).map((f) => f.replace(/^\w+\./, ""));
  const fields = r.requestedFields.filter((f) => !/^(Query|Mutation)\./.test(f));
  const what = (roots.length ? roots.join(", ") + " → " : "") +
    (fields.length === 0 ? "no fields" : fields.slice(0, 2).join(", ") + (fields.length > 2 ? ` +${fields.length - 2}` : ""));
  return { text: `anonymous: ${what}`, anonymous: true };
}

const DETAIL = [
  ["Request id", (r) => r.requestId, "code"],
  ["Token id", (r) => r.tokenId || "–", "code"],
  ["Operation", (r) => `${r.operationName || "(anonymous)"} · sha256 ${r.operationHash || "–"}`, "code"],
  ["Error codes", (r) => r.errorCodes, "errors"],
  ["Requested fields", (r) => r.requestedFields],
  ["Granted fields", (r) => r.grantedFields],
  ["Denied fields", (r) => r.deniedFields],
  ["Agencies called", (r) => r.subgraphs],
  ["Citizens (pseudonyms)", (r) => r.citizenPseudonyms, "code"],
  ["Data released", (r) => (r.dataReleased ? "yes" : "no")],
  ["Client address", (r) => r.clientAddress || "–"],
  ["Hash", (r) => r.hash, "code"],
];

function detailRow(r) {
  const row = document.createElement("tr");
  row.className = "detail";
  const td = document.createElement("td");
  td.colSpan = 11;
  const list = document.createElement("dl");
  for (const [label, value, kind] of DETAIL) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.dataset.detail = label;
    const v = value(r);
    if (kind === "errors" && v.length) {
      for (const code of v) {
        const span = document.createElement("span");
        span.className = "error-code";
        span.textContent = code;
        dd.append(span, " ");
      }
    } else {
      dd.textContent = Array.isArray(v) ? (v.length ? v.join(", ") : "none") : v;
    }
    if (kind === "code") dd.className = "code";
    list.append(dt, dd);
  }
  td.appendChild(list);
  row.appendChild(td);
  return row;
}

function toggleDetail(row, r) {
  const next = row.nextElementSibling;
  if (next && next.classList.contains("detail")) {
    next.remove();
    row.classList.remove("open");
    row.setAttribute("aria-expanded", "false");
  } else {
    row.after(detailRow(r));
    row.classList.add("open");
    row.setAttribute("aria-expanded", "true");
  }
}

function clearResults() {
  $("records").querySelector("tbody").replaceChildren();
  $("page-info").textContent = "";
  $("next-page").disabled = true;
  $("first-page").disabled = true;
}

let lastSummary = null;

function clearPatterns() {
  lastSummary = null;
  flagsCursor = null;
  if (window.AuditCharts) window.AuditCharts.clear();
  $("anomalies").replaceChildren();
  $("anomalies-info").textContent = "";
  $("more-anomalies").hidden = true;
  $("patterns-info").textContent = "";
  delete document.querySelector(".charts").dataset.drawn;
}

/** The Since–Until range of the filters, fixed now (default: the last 24 hours), so flags can be asked about again. */
function currentRange() {
  const filter = currentFilter();
  const until = filter.until ?? new Date().toISOString();
  const since = filter.since ?? new Date(new Date(until).getTime() - 24 * 3_600_000).toISOString();
  return { since, until };
}

function drawCharts() {
  if (!lastSummary) return;
  if (!window.AuditCharts) {
    $("patterns-info").textContent = "Charts unavailable: the chart bundle is not built (npm run build:assets).";
    return;
  }
  window.AuditCharts.render(lastSummary, $("group-by").value);
  const from = new Date(lastSummary.since).toLocaleString();
  const to = new Date(lastSummary.until).toLocaleString();
  $("patterns-info").textContent = `${from} – ${to}`;
  document.querySelector(".charts").dataset.drawn = "true";
}

/** The range the flags on show were computed for: "Show records" and "More flags" ask about the same one. */
let flagsRange = null;
/** Where the next page of flags starts (null: all are on show). */
let flagsCursor = null;

async function showFlagRecords(flag) {
  $("message").textContent = "";
  try {
    const { auditAnomalies } = await graphql(FLAG_RECORDS, { ...flagsRange, id: flag.id });
    const records = auditAnomalies.length ? auditAnomalies[0].records : [];
    clearResults();
    render(records);
    const [name] = RULES[flag.rule] || [flag.rule];
    $("page-info").textContent = `${records.length} records behind the flag “${name}” for ${flag.app}`;
    $("first-page").disabled = false;
    $("records-section").scrollIntoView({ block: "start" });
  } catch (error) {
    clearResults();
    $("message").textContent = error.message;
  }
}

/** Shows a page of flags: the first replaces the list, later ones are added below it. */
function renderAnomalies(page, append) {
  const list = $("anomalies");
  if (!append) list.replaceChildren();
  for (const flag of page.flags) {
    const item = document.createElement("li");
    item.dataset.rule = flag.rule;
    item.dataset.app = flag.app;
    const [name, explain] = RULES[flag.rule] || [flag.rule, ""];
    const rule = document.createElement("span");
    rule.className = "rule";
    rule.textContent = name;
    const summary = document.createElement("span");
    summary.className = "summary";
    summary.textContent = `${flag.summary} (${new Date(flag.since).toLocaleString()} – ${new Date(flag.until).toLocaleString()})`;
    const why = document.createElement("span");
    why.className = "explain";
    why.textContent = `${explain} Observed ${flag.observed}, threshold ${flag.threshold}.`;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "show-records";
    button.textContent = "Show records";
    button.addEventListener("click", () => showFlagRecords(flag));
    item.append(rule, summary, why, button);
    list.appendChild(item);
  }
  flagsCursor = page.nextCursor;
  $("more-anomalies").hidden = !page.nextCursor;
  const shown = list.children.length;
  $("anomalies-info").textContent =
    page.total === 0 ? "No anomalies in this range." : shown < page.total ? `${shown} of ${page.total} flags in this range, the most recent first.` : `${page.total} flags in this range.`;
}

async function moreAnomalies() {
  if (!flagsCursor || !flagsRange) return;
  const button = $("more-anomalies");
  button.disabled = true;
  try {
    const { auditSummary } = await graphql(MORE_FLAGS, { ...flagsRange, flags: FLAGS_PAGE, after: flagsCursor });
    renderAnomalies(auditSummary.anomalies, true);
  } catch (error) {
    $("message").textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

/** Asks for the range's counts and first page of flags; showPatterns shows the answer (or the error). */
function askPatterns() {
  try {
    const range = currentRange();
    return graphql(SUMMARY, { ...range, flags: FLAGS_PAGE }).then((data) => ({ range, summary: data.auditSummary }), (error) => ({ error }));
  } catch (error) {
    return Promise.resolve({ error });
  }
}

async function showPatterns(asked) {
  const answer = await asked;
  if (answer.error) {
    clearPatterns();
    $("message").textContent = answer.error.message;
    return;
  }
  flagsRange = answer.range;
  lastSummary = answer.summary;
  drawCharts();
  renderAnomalies(answer.summary.anomalies, false);
}

function render(records) {
  const body = $("records").querySelector("tbody");
  body.replaceChildren();
  for (const r of records) {
    const row = document.createElement("tr");
    row.className = "record";
    row.dataset.seq = r.seq;
    row.tabIndex = 0;
    row.setAttribute("aria-expanded", "false");
    cell(row, "#", r.seq);
    cell(row, "Time", new Date(r.time).toLocaleString());
    cell(row, "Outcome", r.outcome, r.outcome);
    cell(row, "App", r.app || "–");
    cell(row, "Purpose", r.purpose || "–");
    const operation = operationLabel(r);
    cell(row, "Operation", operation.text, operation.anonymous ? "anonymous" : "").title = r.operationHash ? `sha256 ${r.operationHash}` : "";
    cell(row, "Requested", r.requestedFields.join(", "), "fields");
    cell(row, "Denied", r.deniedFields.join(", "), "fields");
    cell(row, "Citizens", r.citizenPseudonyms.map((p) => p.slice(0, 10) + "…").join(" "), "citizens");
    cell(row, "Agencies", r.subgraphs.join(", "));
    cell(row, "ms", String(r.latencyMs));
    row.addEventListener("click", () => toggleDetail(row, r));
    row.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        toggleDetail(row, r);
      }
    });
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
    // Nothing from an earlier search stays under the message.
    clearResults();
    clearPatterns();
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

/** Every record of the current filter, newest first (at most 20,000). */
async function allRecords() {
  const records = [];
  let after = null;
  for (let pages = 0; pages < 40; pages++) {
    const data = await graphql(LIST, { filter: currentFilter(), first: 500, after });
    records.push(...data.auditRecords.records);
    after = data.auditRecords.nextCursor;
    if (!after) break;
  }
  return records;
}

function download(text, type, extension) {
  const blob = new Blob([text], { type });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `audit-${new Date().toISOString().slice(0, 19).replace(/:/g, "")}.${extension}`;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

async function exportRecords(format) {
  $("message").textContent = "";
  try {
    const records = await allRecords();
    if (format === "csv") {
      const columns = FIELDS.split(" ");
      const lines = [columns.join(","), ...records.map((r) => columns.map((c) => csvValue(r[c])).join(","))];
      download(lines.join("\r\n") + "\r\n", "text/csv;charset=utf-8", "csv");
    } else {
      download(records.map((r) => JSON.stringify(r) + "\n").join(""), "application/x-ndjson;charset=utf-8", "jsonl");
    }
  } catch (error) {
    $("message").textContent = error.message;
  }
}

$("filters").addEventListener("submit", async (event) => {
  event.preventDefault();
  cursors = [null];
  // Both asked at once; the patterns are shown after the records, and not at all when the search failed.
  const patterns = askPatterns();
  await loadPage(0);
  if (!$("message").textContent) await showPatterns(patterns);
});
$("group-by").addEventListener("change", drawCharts);
$("more-anomalies").addEventListener("click", moreAnomalies);
$("next-page").addEventListener("click", () => loadPage(Number($("next-page").dataset.index)));
$("first-page").addEventListener("click", () => loadPage(0));
$("verify").addEventListener("click", verify);
$("export").addEventListener("click", () => exportRecords("csv"));
$("export-jsonl").addEventListener("click", () => exportRecords("jsonl"));
