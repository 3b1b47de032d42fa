// The withdrawal page: sign in, consent, apply, the spouse's consent where needed, the decision with its receipt, and the access log.
const $ = (selector) => document.querySelector(selector);
const OUTCOMES = {
  APPROVED: "批准 Approved",
  REFUSED: "不予批准 Refused",
  UNDECIDED: "暂时无法决定,请稍后再试 Cannot decide now, try later",
  NEEDS_SPOUSE_CONSENT: "需要配偶授权 The spouse's consent is needed",
  SPOUSE_NOT_CONFIRMED: "同意人不是登记的配偶 The person who consented is not the registered spouse",
};
const ANSWERS = { YES: "✔ 符合 yes", NO: "✘ 不符合 no", UNKNOWN: "? 未知 unknown" };

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.append(c);
  return tr;
}

function showError(message) {
  const error = $("#error");
  error.textContent = message;
  error.hidden = !message;
}

async function call(path, body) {
  const response = await fetch(path, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = await response.json();
  if (!response.ok) throw new Error(json.error?.message ?? `HTTP ${response.status}`);
  return json;
}

function choices(container, citizens, onChoose) {
  container.replaceChildren();
  for (const citizen of citizens) {
    const button = document.createElement("button");
    button.textContent = citizen.name;
    button.dataset.id = citizen.id;
    button.addEventListener("click", () => {
      for (const other of container.querySelectorAll("button")) other.classList.toggle("chosen", other === button);
      onChoose(citizen);
    });
    container.append(button);
  }
}

let applicant = null;
let spouse = null;
let citizens = [];

async function start() {
  citizens = (await call("/api/citizens")).citizens;
  choices($("#citizens"), citizens, signIn);
  const needs = (await call("/api/needs")).needs;
  $("#needs tbody").replaceChildren(...needs.map((need) => row([cell(need.agency), cell(need.coordinate), cell(need.why)])));
}

async function signIn(citizen) {
  showError("");
  try {
    applicant = (await call("/api/sign-in", { citizenId: citizen.id })).applicant;
    spouse = null;
    $("#signed-in").textContent = `已登录 Signed in: ${applicant.name} (${applicant.id})`;
    $("#signed-in").hidden = false;
    $("#step-consent").hidden = false;
    for (const id of ["#step-apply", "#step-spouse", "#decision", "#access-log"]) $(id).hidden = true;
    $("#agree").checked = false;
    $("#consent").disabled = true;
  } catch (error) {
    showError(error.message);
  }
}

$("#agree").addEventListener("change", () => ($("#consent").disabled = !$("#agree").checked));
$("#spouse-agree").addEventListener("change", () => ($("#spouse-consent").disabled = !($("#spouse-agree").checked && spouse)));

$("#consent").addEventListener("click", async () => {
  showError("");
  try {
    await call("/api/consent", { agree: true });
    $("#step-apply").hidden = false;
  } catch (error) {
    showError(error.message);
  }
});

$("#apply").addEventListener("click", async () => {
  showError("");
  $("#apply").disabled = true;
  try {
    render(await call("/api/apply", { amount: $("#amount").value }));
  } catch (error) {
    showError(error.message);
  } finally {
    $("#apply").disabled = false;
  }
});

$("#spouse-consent").addEventListener("click", async () => {
  showError("");
  try {
    render(await call("/api/spouse-consent", { spouseId: spouse.id, agree: true }));
  } catch (error) {
    showError(error.message);
  }
});

function render(decision) {
  $("#decision").hidden = false;
  $("#step-spouse").hidden = decision.outcome !== "NEEDS_SPOUSE_CONSENT" && decision.outcome !== "SPOUSE_NOT_CONFIRMED";
  if (!$("#step-spouse").hidden) {
    choices($("#spouse-citizens"), citizens.filter((c) => c.id !== applicant.id), (chosen) => {
      spouse = chosen;
      $("#spouse-consent").disabled = !$("#spouse-agree").checked;
    });
  }
  const outcome = $("#outcome");
  outcome.textContent = OUTCOMES[decision.outcome] ?? decision.outcome;
  outcome.className = `outcome ${decision.outcome}`;
  outcome.dataset.outcome = decision.outcome;
  $("#amounts").textContent =
    decision.outcome === "APPROVED"
      ? `最高可提取 up to ${decision.maxAmount} 元;本次批准 approved ${decision.approvedAmount} 元${decision.spouse ? `(含配偶 ${decision.spouse.name} 的贷款 with the spouse's loan)` : ""}`
      : decision.reasons.join(";");
  const receipt = decision.receipt;
  const receiptText = receipt.seq ? `#${receipt.seq} ${receipt.verified ? "✔ 已验证 verified" : "✘ 未通过 fails"}` : "—";
  $("#conditions tbody").replaceChildren(
    ...decision.conditions.map((c) =>
      row([cell(`${c.id}. ${c.title}`), cell(`${ANSWERS[c.answer]} — ${c.detail}`, c.answer), cell(c.agencies.join(", ")), cell(receiptText, receipt.verified ? "receipt-ok" : "receipt-bad")]),
    ),
  );
  $("#receipt").textContent = receipt.jws ? `audit seq ${receipt.seq}\nhash ${receipt.hash}\n\n${receipt.jws}` : "no receipt";
  $("#elapsed").textContent = `用时 decided in ${decision.elapsedMs} ms`;
  if (decision.outcome !== "NEEDS_SPOUSE_CONSENT") void showAccessLog();
}

async function showAccessLog() {
  try {
    const log = await call("/api/access-log", {});
    $("#access-log").hidden = false;
    $("#log tbody").replaceChildren(
      ...log.entries.map((entry) => {
        const list = document.createElement("ul");
        list.className = "fields";
        for (const agency of entry.agencies) {
          const item = document.createElement("li");
          item.textContent = `${agency.agency}: ${agency.fields.map((f) => (f.why ? `${f.field} (${f.why})` : f.field)).join(", ")}`;
          list.append(item);
        }
        const fields = document.createElement("td");
        fields.append(list);
        return row([cell(new Date(entry.time).toLocaleString("zh-CN")), cell(entry.app ?? ""), cell(entry.purpose ?? ""), fields, cell(entry.outcome)]);
      }),
    );
  } catch (error) {
    showError(error.message);
  }
}

start().catch((error) => showError(error.message));
