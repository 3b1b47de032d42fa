/**
 * The housing-fund loan-repayment withdrawal service (偿还住房贷款提取): a page
 * and a small JSON API on node:http. A citizen signs in (development
 * sign-in), consents, enters an amount and gets a decision from the
 * agencies' data, read through the gateway with a token bound to exactly the
 * citizens who consented; the spouse consents too where the rule needs the
 * spouse's loan. Each condition comes with its answer, the agencies that
 * answered and the gateway's signed receipt. Afterwards the citizen sees,
 * from their access log, which agencies were asked which fields and why.
 * The app keeps no copy of the data: sessions (in memory) hold who
 * consented, the decision and its receipt.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { HPF_APP_ID, type HpfAppConfig } from "./config.ts";
import { createGatewayClient, type GatewayClient, type ReceiptCheck } from "./createGatewayClient.ts";
import { ACCESS_LOG_SCOPES, createTokenSource, DECISION_SCOPES, type TokenSource } from "./createTokenSource.ts";
import { decideWithdrawal, type Decision } from "./decideWithdrawal.ts";
import { demoCitizen, DEMO_CITIZENS } from "./demoCitizens.ts";
import { ACCESS_LOG, APPLICANT_AND_SPOUSE_CHECK, APPLICANT_CHECK } from "./operations.ts";
import { readFieldOwners } from "./readFieldOwners.ts";
import { ACCESS_LOG_NEED, AGENCY_TITLES, RULE_NEEDS, type AgencyName } from "./ruleNeeds.ts";

interface Session {
  applicant: { id: string; name: string };
  consented: boolean;
  spouse: { id: string; name: string } | null;
  amount: string | null;
  expiresAt: number;
}

/** What the page shows for a decision. */
export interface DecisionView extends Decision {
  applicant: { id: string; name: string };
  spouse: { id: string; name: string } | null;
  receipt: { jws: string | null; verified: boolean; seq: string | null; hash: string | null; problems: string[] };
  /** The fields the request granted, by agency. */
  fieldsAsked: Array<{ coordinate: string; agency: string; why: string }>;
  elapsedMs: number;
}

const SESSION_MS = 30 * 60_000;
const COOKIE = "hpf_session";
const PAGE = new URL("./page/", import.meta.url);
const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};

class HttpProblem extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export interface HpfWithdrawalApp {
  server: Server;
  /** For tests: the data sources the app uses. */
  gateway: GatewayClient;
}

export async function createHpfWithdrawalApp(config: Pick<HpfAppConfig, "gatewayUrl" | "tokenKeyPath" | "tokenIssuer" | "tokenAudience">): Promise<HpfWithdrawalApp> {
  const tokens: TokenSource = await createTokenSource(config);
  const gateway = createGatewayClient(config.gatewayUrl);
  const owners = readFieldOwners();
  const sessions = new Map<string, Session>();
  const files = new Map(Object.entries(STATIC).map(([path, { file, type }]) => [path, { body: readFileSync(new URL(file, PAGE)), type }]));

  function sessionOf(request: IncomingMessage): Session {
    const id = /(?:^|;\s*)hpf_session=([A-Za-z0-9_-]{20,64})/.exec(request.headers.cookie ?? "")?.[1];
    const session = id ? sessions.get(id) : undefined;
    if (!session || session.expiresAt < Date.now()) throw new HttpProblem(401, "NOT_SIGNED_IN", "请先登录 sign in first");
    return session;
  }

  function receiptView(check: ReceiptCheck): DecisionView["receipt"] {
    return { jws: check.jws, verified: check.verified, seq: check.claims?.audit.seq ?? null, hash: check.claims?.audit.hash ?? null, problems: check.problems };
  }

  async function decide(session: Session): Promise<DecisionView> {
    const started = performance.now();
    const citizens = [session.applicant.id, ...(session.spouse ? [session.spouse.id] : [])];
    const token = await tokens.tokenFor(citizens, DECISION_SCOPES);
    const answer = await gateway.ask(token, session.spouse ? APPLICANT_AND_SPOUSE_CHECK : APPLICANT_CHECK, { id: session.applicant.id });
    if (answer.status !== 200 || !answer.body.data) {
      // The gateway refused or could not record the access: no decision without the agencies' answer.
      const decision = decideWithdrawal({ applicantId: session.applicant.id, spouseId: session.spouse?.id ?? null, response: { data: null, errors: [{ extensions: { code: "UNAVAILABLE" } }] }, requested: session.amount });
      return { ...decision, outcome: "UNDECIDED", applicant: session.applicant, spouse: session.spouse, receipt: receiptView(answer.receipt), fieldsAsked: [], elapsedMs: Math.round(performance.now() - started) };
    }
    const decision = decideWithdrawal({ applicantId: session.applicant.id, spouseId: session.spouse?.id ?? null, response: answer.body, requested: session.amount });
    // A decision rests on a verified receipt, or it is no decision.
    const trusted = answer.receipt.verified ? decision : { ...decision, outcome: "UNDECIDED" as const, reasons: ["回执验证失败 the gateway's receipt does not verify", ...decision.reasons] };
    const fieldsAsked = (answer.receipt.claims?.fields ?? []).map((coordinate) => ({ coordinate, agency: agencyTitle(coordinate), why: RULE_NEEDS[coordinate]?.why ?? "" }));
    return { ...trusted, applicant: session.applicant, spouse: session.spouse, receipt: receiptView(answer.receipt), fieldsAsked, elapsedMs: Math.round(performance.now() - started) };
  }

  function agencyTitle(coordinate: string): string {
    const owner = (RULE_NEEDS[coordinate] ?? ACCESS_LOG_NEED[coordinate])?.agency ?? owners.get(coordinate);
    return owner ? (AGENCY_TITLES[owner as AgencyName] ?? owner) : "";
  }

  async function accessLog(session: Session) {
    const token = await tokens.tokenFor([session.applicant.id], ACCESS_LOG_SCOPES);
    const answer = await gateway.ask(token, ACCESS_LOG, { id: session.applicant.id });
    const entries = (answer.body.data?.citizen?.accessLog ?? []) as Array<{ time: string; app: string | null; purpose: string | null; fields: string[]; outcome: string }>;
    if (answer.body.errors?.length && entries.length === 0) throw new HttpProblem(503, "ACCESS_LOG_UNAVAILABLE", "访问记录暂不可得 the access log is unavailable now");
    return {
      receipt: receiptView(answer.receipt),
      entries: entries.map((entry) => {
        const byAgency = new Map<string, Array<{ field: string; why: string }>>();
        for (const field of entry.fields) {
          const agency = agencyTitle(field) || "?";
          const why = entry.app === HPF_APP_ID ? (RULE_NEEDS[field] ?? ACCESS_LOG_NEED[field])?.why ?? "" : "";
          byAgency.set(agency, [...(byAgency.get(agency) ?? []), { field, why }]);
        }
        return { ...entry, agencies: [...byAgency].map(([agency, fields]) => ({ agency, fields })) };
      }),
    };
  }

  async function api(path: string, request: IncomingMessage, response: ServerResponse): Promise<unknown> {
    if (path === "/api/citizens" && request.method === "GET") return { citizens: DEMO_CITIZENS };
    if (path === "/api/needs" && request.method === "GET") {
      return { needs: Object.entries(RULE_NEEDS).map(([coordinate, need]) => ({ coordinate, agency: AGENCY_TITLES[need.agency], why: need.why })) };
    }
    if (request.method !== "POST") throw new HttpProblem(405, "METHOD_NOT_ALLOWED", "Method not allowed");
    // JSON only: a cross-site form cannot send it without a preflight.
    if (!(request.headers["content-type"] ?? "").startsWith("application/json")) throw new HttpProblem(415, "BAD_REQUEST", "JSON only");
    const body = await readJson(request);
    if (path === "/api/sign-in") {
      const citizen = demoCitizen(body.citizenId);
      if (!citizen) throw new HttpProblem(400, "BAD_USER_INPUT", "未知的演示居民 unknown demo citizen");
      const id = randomBytes(24).toString("base64url");
      sessions.set(id, { applicant: { id: citizen.id, name: citizen.name }, consented: false, spouse: null, amount: null, expiresAt: Date.now() + SESSION_MS });
      response.setHeader("set-cookie", `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}`);
      return { applicant: citizen };
    }
    const session = sessionOf(request);
    switch (path) {
      case "/api/consent":
        if (body.agree !== true) throw new HttpProblem(400, "BAD_USER_INPUT", "需要本人同意 consent is required");
        session.consented = true;
        return { consented: true };
      case "/api/apply": {
        if (!session.consented) throw new HttpProblem(403, "CONSENT_REQUIRED", "需要本人同意 consent first");
        session.amount = parseAmount(body.amount);
        return decide(session);
      }
      case "/api/spouse-consent": {
        if (!session.consented) throw new HttpProblem(403, "CONSENT_REQUIRED", "需要本人同意 consent first");
        const spouse = demoCitizen(body.spouseId);
        if (!spouse || spouse.id === session.applicant.id || body.agree !== true) throw new HttpProblem(400, "BAD_USER_INPUT", "需要配偶本人登录并同意 the spouse must sign in and consent");
        session.spouse = { id: spouse.id, name: spouse.name };
        const decision = await decide(session);
        // Not the registered spouse: that consent counts for nothing.
        if (decision.outcome === "SPOUSE_NOT_CONFIRMED") session.spouse = null;
        return decision;
      }
      case "/api/access-log":
        return accessLog(session);
      default:
        throw new HttpProblem(404, "NOT_FOUND", "Not found");
    }
  }

  const server = createServer(async (request, response) => {
    response.setHeader("cache-control", "no-store");
    response.setHeader("x-content-type-options", "nosniff");
    try {
      const path = new URL(request.url ?? "/", "http://localhost").pathname;
      const file = files.get(path);
      if (file && request.method === "GET") {
        response.setHeader("content-type", file.type);
        response.setHeader("content-security-policy", "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'");
        return void response.end(file.body);
      }
      if (path === "/health") return sendJson(response, 200, { status: "ok", service: "hpf-withdrawal" });
      if (!path.startsWith("/api/")) throw new HttpProblem(404, "NOT_FOUND", "Not found");
      sendJson(response, 200, await api(path, request, response));
    } catch (error) {
      if (error instanceof HttpProblem) return sendJson(response, error.status, { error: { code: error.code, message: error.message } });
      console.error("hpf-withdrawal:", error);
      sendJson(response, 503, { error: { code: "UNAVAILABLE", message: "暂时无法办理,请稍后再试 cannot handle it now, try later" } });
    }
  });
  return { server, gateway };
}

function parseAmount(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  const text = String(value).trim();
  if (!/^\d{1,12}(\.\d{1,2})?$/.test(text)) throw new HttpProblem(400, "BAD_USER_INPUT", "金额格式不正确 the amount must be like 50000.00");
  const [units, cents = ""] = text.split(".");
  return `${BigInt(units!)}.${cents.padEnd(2, "0")}`;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader("content-type", "application/json; charset=utf-8");
  response.end(JSON.stringify(body));
}

function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > 16_384) {
        reject(new HttpProblem(413, "PAYLOAD_TOO_LARGE", "Request body too large"));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.once("end", () => {
      try {
        const parsed = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown) : {};
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error();
        resolve(parsed as Record<string, unknown>);
      } catch {
        reject(new HttpProblem(400, "BAD_REQUEST", "Request body is not a JSON object"));
      }
    });
    request.once("error", reject);
  });
}
