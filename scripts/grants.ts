// Data-sharing applications and grants through the running gateway:
// npm run grants -- list [--agency A] [--app A] | register --app A --department D --contact C
//   | apply --app A --purpose P --scope "S1 S2" --basis "..." [--description D] [--scenario S] --days N
//   | approve ID | refuse ID --reason R | revoke ID --reason R | usage --agency A [--hour]
//   [--token T | --as SUBJECT] [--url http://127.0.0.1:4000/graphql] [--json]
// Without --token it signs a short-lived token with the dev issuer (npm start's keys): the app's own
// for register and apply, an approver's (grants:approve:<every agency>) for the rest.
import { resolve } from "node:path";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER, readGatewayConfig } from "../gateway/config.ts";
import { ensureDevKeys, loadSigningKey } from "../platform/security/keys.ts";
import { signDevToken } from "../platform/security/signDevToken.ts";
import { agencies } from "../subgraphs/agencies.ts";

const USAGE = `usage: npm run grants -- <list | register | apply | approve ID | refuse ID --reason R | revoke ID --reason R | usage --agency A> [options]
  list      [--agency A] [--app A] [--status PENDING|APPROVED|REFUSED|GRANTED]
  register  --app A --department D --contact C
  apply     --app A --purpose P --scope "S1 S2" --basis "legal basis" --days N [--description D] [--scenario S]
  approve   ID
  refuse    ID --reason R
  revoke    ID --reason R
  usage     --agency A [--hour]
  common    [--token T | --as SUBJECT] [--url URL] [--json]`;

const FLAGS = new Set(["json", "hour"]);

function parse(argv: string[]): { command: string | undefined; id: string | undefined; options: Map<string, string> } {
  const [command, ...rest] = argv;
  const options = new Map<string, string>();
  let id: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith("--")) {
      if (id !== undefined) throw new Error(`unexpected argument ${arg}`);
      id = arg;
      continue;
    }
    const name = arg.slice(2);
    if (FLAGS.has(name)) {
      options.set(name, "true");
      continue;
    }
    const value = rest[i + 1];
    if (value === undefined || value.startsWith("--")) throw new Error(`--${name} needs a value`);
    options.set(name, value);
    i++;
  }
  return { command, id, options };
}

async function main(): Promise<void> {
  const { command, id, options } = parse(process.argv.slice(2));
  const need = (name: string) => {
    const value = options.get(name);
    if (!value) throw new Error(`--${name} is required\n${USAGE}`);
    return value;
  };
  const config = readGatewayConfig();
  const url = options.get("url") ?? `http://${config.host}:${config.port}/graphql`;
  const approverScopes = agencies.map((agency) => `grants:approve:${agency.name}`);
  async function token(subject: string, scopes: string[]): Promise<string> {
    if (options.get("token")) return options.get("token")!;
    const keys = await ensureDevKeys(resolve(process.env.DATA_DIR ?? ".data"));
    return signDevToken({ key: await loadSigningKey(keys.issuerPrivate), issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes, purpose: "GRANT_ADMINISTRATION", ttlSeconds: 300 });
  }
  const approver = () => token(options.get("as") ?? "user:dev-approver", [...approverScopes, "audit:read"]);
  async function call(bearer: string, query: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query, variables }) }).catch((error) => {
      throw new Error(`the gateway at ${url} does not answer (is npm start running?): ${error.message}`);
    });
    const body = (await response.json()) as { data?: Record<string, any>; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    if (body.errors?.length) throw new Error(body.errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("\n"));
    return body.data!;
  }
  const print = (value: unknown, text: () => string) => process.stdout.write(options.has("json") ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);

  switch (command) {
    case "list": {
      const data = await call(await approver(), `query List($agency: String, $app: String, $status: ApplicationStatus) {
        applications(agency: $agency, app: $app, status: $status) { id app purpose agency scopes pendingScopes status ageWorkingDays overdue decidedBy reason }
        grants(agency: $agency, app: $app) { id app purpose agency scopes status grantedBy expiresAt revokeReason } }`, {
        agency: options.get("agency") ?? null,
        app: options.get("app") ?? null,
        status: options.get("status") ?? null,
      });
      print(data, () =>
        [
          "applications:",
          ...data.applications.map((a: any) => `  ${a.id}  ${a.status.padEnd(8)} ${a.agency.padEnd(13)} ${a.app} ${a.purpose} [${a.scopes.join(" ")}] ${a.ageWorkingDays} working days${a.overdue ? " OVERDUE" : ""}${a.reason ? ` — ${a.reason}` : ""}`),
          "grants:",
          ...data.grants.map((g: any) => `  ${g.id}  ${g.status.padEnd(8)} ${g.agency.padEnd(13)} ${g.app} ${g.purpose} [${g.scopes.join(" ")}] by ${g.grantedBy} until ${g.expiresAt}${g.revokeReason ? ` — ${g.revokeReason}` : ""}`),
        ].join("\n"),
      );
      return;
    }
    case "register": {
      const app = need("app");
      const data = await call(await token(options.get("as") ?? app, []), `mutation($app: String!, $department: String!, $contact: String!) { registerApp(app: $app, department: $department, contact: $contact) { app department contact } }`, {
        app,
        department: need("department"),
        contact: need("contact"),
      });
      print(data.registerApp, () => `registered ${data.registerApp.app}`);
      return;
    }
    case "apply": {
      const app = need("app");
      const days = Number(need("days"));
      const input = {
        app,
        purpose: need("purpose"),
        scopes: need("scope").split(/\s+/).filter(Boolean),
        legalBasis: need("basis"),
        description: options.get("description") ?? need("basis"),
        scenario: options.get("scenario") ?? need("purpose"),
        durationDays: days,
      };
      const data = await call(await token(options.get("as") ?? app, []), `mutation($input: AccessApplicationInput!) { applyForAccess(input: $input) { id agency status scopes pendingScopes } }`, { input });
      print(data.applyForAccess, () => data.applyForAccess.map((a: any) => `${a.id}  ${a.status.padEnd(8)} ${a.agency} [${a.scopes.join(" ")}]${a.pendingScopes.length ? ` waiting for ${a.agency}: ${a.pendingScopes.join(" ")}` : ""}`).join("\n"));
      return;
    }
    case "approve": {
      if (!id) throw new Error(`approve needs an application id\n${USAGE}`);
      const data = await call(await approver(), `mutation($id: ID!) { approveApplication(id: $id) { id status decidedBy } }`, { id });
      print(data.approveApplication, () => `${id} ${data.approveApplication.status}`);
      return;
    }
    case "refuse":
    case "revoke": {
      if (!id) throw new Error(`${command} needs an id\n${USAGE}`);
      const reason = need("reason");
      const field = command === "refuse" ? "refuseApplication" : "revokeGrant";
      const data = await call(await approver(), `mutation($id: ID!, $reason: String!) { ${field}(id: $id, reason: $reason) { id status } }`, { id, reason });
      print(data[field], () => `${id} ${data[field].status}`);
      return;
    }
    case "usage": {
      const agency = need("agency");
      const data = await call(await approver(), `query($agency: String!, $bucket: UsageBucket) { usage(agency: $agency, bucket: $bucket) { period app purpose field reads denials } }`, {
        agency,
        bucket: options.has("hour") ? "HOUR" : "DAY",
      });
      print(data.usage, () => ["period                    app  purpose  field  reads  denials", ...data.usage.map((u: any) => `${u.period}  ${u.app}  ${u.purpose}  ${u.field}  ${u.reads}  ${u.denials}`)].join("\n"));
      return;
    }
    default:
      throw new Error(USAGE);
  }
}

main().catch((error) => {
  console.error(`grants: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
