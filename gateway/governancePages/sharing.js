// The sharing page: register, apply, list applications and grants, approve, refuse, revoke, usage.
"use strict";

const APPLICATION = "id app purpose agency scopes pendingScopes description legalBasis scenario durationDays status appliedAt appliedBy decidedBy reason ageWorkingDays overdue";
const GRANT = "id app purpose agency scopes grantedAt grantedBy expiresAt status revokedBy revokeReason";
bindToken($("token"));

const values = (form) => Object.fromEntries([...new FormData(form).entries()].map(([k, v]) => [k, String(v).trim()]));
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

function actionCell(buttons) {
  const td = element("td");
  for (const b of buttons) td.appendChild(b);
  return td;
}

function button(label, onClick) {
  const b = element("button", label);
  b.type = "button";
  b.addEventListener("click", () => onClick().catch((error) => say(error.message, true)));
  return b;
}

function reasonInput(placeholder) {
  const input = element("input");
  input.placeholder = placeholder;
  input.className = "reason";
  return input;
}

async function loadLists() {
  const filter = values($("lists"));
  const variables = { agency: filter.agency || null, app: filter.app || null };
  const data = await graphql(
    `query SharingLists($agency: String, $app: String) { applications(agency: $agency, app: $app) { ${APPLICATION} } grants(agency: $agency, app: $app) { ${GRANT} } }`,
    variables,
  );
  const applications = data.applications.map((a) => {
    const actions = [];
    if (a.status === "PENDING") {
      const reason = reasonInput("reason to refuse");
      actions.push(
        button("Approve 批准", async () => {
          await graphql(`mutation Approve($id: ID!) { approveApplication(id: $id) { status } }`, { id: a.id });
          say(`Approved ${a.id}`, false);
          await loadLists();
        }),
        reason,
        button("Refuse 不予共享", async () => {
          await graphql(`mutation Refuse($id: ID!, $reason: String!) { refuseApplication(id: $id, reason: $reason) { status } }`, { id: a.id, reason: reason.value });
          say(`Refused ${a.id}`, false);
          await loadLists();
        }),
      );
    }
    const age = element("td", `${a.ageWorkingDays} working days`);
    if (a.overdue) age.appendChild(element("span", " overdue 超期", "flag"));
    const tr = row([
      element("td", a.app, "code"),
      element("td", a.purpose, "code"),
      element("td", a.agency),
      element("td", a.scopes.join(" "), "code"),
      element("td", `${a.description} · ${a.legalBasis} · ${a.scenario} · ${a.durationDays} days`, "description"),
      element("td", a.status, a.status),
      age,
      element("td", [a.decidedBy, a.reason].filter(Boolean).join(": ")),
      actionCell(actions),
    ]);
    tr.dataset.id = a.id;
    tr.dataset.status = a.status;
    if (a.overdue) tr.classList.add("overdue");
    return tr;
  });
  $("applications").replaceChildren(element("h3", `Applications (${applications.length})`), table(["app", "purpose", "agency", "scopes", "purpose, basis, scenario", "status", "age", "decision", ""], applications));
  const grants = data.grants.map((g) => {
    const actions = [];
    if (g.status === "ACTIVE") {
      const reason = reasonInput("reason to revoke");
      actions.push(
        reason,
        button("Revoke 撤销", async () => {
          await graphql(`mutation Revoke($id: ID!, $reason: String!) { revokeGrant(id: $id, reason: $reason) { status } }`, { id: g.id, reason: reason.value });
          say(`Revoked ${g.id}`, false);
          await loadLists();
        }),
      );
    }
    const tr = row([
      element("td", g.app, "code"),
      element("td", g.purpose, "code"),
      element("td", g.agency),
      element("td", g.scopes.join(" "), "code"),
      element("td", `${g.grantedBy} · ${when(g.grantedAt)}`),
      element("td", when(g.expiresAt)),
      element("td", [g.status, g.revokedBy, g.revokeReason].filter(Boolean).join(" · "), g.status),
      actionCell(actions),
    ]);
    tr.dataset.id = g.id;
    tr.dataset.status = g.status;
    return tr;
  });
  $("grants").replaceChildren(element("h3", `Grants (${grants.length})`), table(["app", "purpose", "agency", "scopes", "granted", "expires", "status", ""], grants));
}

$("lists").addEventListener("submit", (event) => {
  event.preventDefault();
  loadLists().then(() => say("", false)).catch((error) => say(error.message, true));
});

$("register").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const v = values(event.target);
    const data = await graphql(`mutation Register($app: String!, $department: String!, $contact: String!) { registerApp(app: $app, department: $department, contact: $contact) { app } }`, v);
    say(`Registered ${data.registerApp.app}`, false);
  } catch (error) {
    say(error.message, true);
  }
});

$("apply").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const v = values(event.target);
    const input = { ...v, scopes: v.scopes.split(/\s+/).filter(Boolean), durationDays: Number(v.durationDays) };
    const data = await graphql(`mutation Apply($input: AccessApplicationInput!) { applyForAccess(input: $input) { id agency status } }`, { input });
    say(`Filed: ${data.applyForAccess.map((a) => `${a.agency} ${a.status}`).join(", ")}`, false);
  } catch (error) {
    say(error.message, true);
  }
});

$("usage-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const v = values(event.target);
    const data = await graphql(`query Usage($agency: String!, $bucket: UsageBucket) { usage(agency: $agency, bucket: $bucket) { app purpose field period reads denials } }`, v);
    const rows = data.usage.map((u) => row([element("td", when(u.period)), element("td", u.app, "code"), element("td", u.purpose, "code"), element("td", u.field, "code"), element("td", u.reads), element("td", u.denials)]));
    $("usage").replaceChildren(table(["period", "app", "purpose", "field", "reads", "denials"], rows));
    say(`${rows.length} rows`, false);
  } catch (error) {
    say(error.message, true);
  }
});
