// Shared by /catalog and /sharing: the pasted token (sessionStorage only) and one GraphQL call.
// Every value is rendered with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

function bindToken(input) {
  input.value = sessionStorage.getItem("governanceToken") || "";
  input.addEventListener("change", () => sessionStorage.setItem("governanceToken", input.value.trim()));
}

async function graphql(query, variables) {
  const token = $("token").value.trim();
  if (!token) throw new Error("Paste a token first.");
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

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.appendChild(c instanceof Node ? c : element("td", c));
  return tr;
}

function table(headers, rows) {
  const t = document.createElement("table");
  const head = document.createElement("thead");
  head.appendChild(row(headers.map((h) => element("th", h))));
  const body = document.createElement("tbody");
  for (const r of rows) body.appendChild(r);
  t.append(head, body);
  const wrap = element("div", null, "table-wrap");
  wrap.appendChild(t);
  return wrap;
}

function say(message, isError) {
  $("message").textContent = isError ? message : "";
  $("notice").textContent = isError ? "" : message;
}
