/**
 * Grants an app scopes for a purpose through the gateway's public API, as
 * the people would: an operator (`grants:admin`) registers the app and files
 * its application, the owning agencies' approver (`grants:approve:<agency>`)
 * approves each conditional part. Used by `npm start` for its demo app, the
 * bench and the tests' own apps: no path around the process.
 */

export interface AppGrant {
  app: string;
  purpose: string;
  scopes: readonly string[];
  /** @default "测试部门 test department" */
  department?: string;
  /** @default 30 */
  durationDays?: number;
}

export interface GrantThroughApiOptions {
  graphqlUrl: string;
  /** A token holding `grants:admin`. */
  operatorToken: string;
  /** A token holding `grants:approve:<agency>` for every agency concerned. */
  approverToken: string;
  grants: readonly AppGrant[];
  /** Root fields per request (the gateway's MAX_ROOT_FIELDS). @default 10 */
  batch?: number;
}

interface Answer {
  data?: Record<string, unknown>;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

async function post(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    // A suite may run with a tiny rate limit: wait as told and try again.
    if (response.status === 429 && attempt < 50) {
      await new Promise((resolve) => setTimeout(resolve, 1000 * Number(response.headers.get("retry-after") ?? 1)));
      continue;
    }
    const body = (await response.json()) as Answer;
    if (body.errors?.length) throw new Error(`governance request failed: ${body.errors.map((e) => `${e.extensions?.code}: ${e.message}`).join("; ")}`);
    return body;
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function grantThroughApi(options: GrantThroughApiOptions): Promise<void> {
  const batch = options.batch ?? 10;
  const apps = [...new Map(options.grants.map((g) => [g.app, g])).values()];
  for (const group of chunks(apps, batch)) {
    const variables: Record<string, unknown> = {};
    const fields = group.map((g, i) => {
      variables[`app${i}`] = g.app;
      variables[`department${i}`] = g.department ?? "测试部门 test department";
      return `r${i}: registerApp(app: $app${i}, department: $department${i}, contact: "ops@example.gov.cn") { app }`;
    });
    const definitions = group.map((_, i) => `$app${i}: String!, $department${i}: String!`).join(", ");
    await post(options.graphqlUrl, options.operatorToken, `mutation Register(${definitions}) { ${fields.join(" ")} }`, variables);
  }
  const pending: string[] = [];
  for (const group of chunks(options.grants, batch)) {
    const variables: Record<string, unknown> = {};
    const fields = group.map((g, i) => {
      variables[`input${i}`] = {
        app: g.app,
        purpose: g.purpose,
        scopes: [...g.scopes],
        description: "automated set-up",
        legalBasis: "《政务数据共享管理办法》 test basis",
        scenario: "automated set-up",
        durationDays: g.durationDays ?? 30,
      };
      return `a${i}: applyForAccess(input: $input${i}) { id status }`;
    });
    const definitions = group.map((_, i) => `$input${i}: AccessApplicationInput!`).join(", ");
    const answer = await post(options.graphqlUrl, options.operatorToken, `mutation Apply(${definitions}) { ${fields.join(" ")} }`, variables);
    for (const applications of Object.values(answer.data ?? {}) as Array<Array<{ id: string; status: string }>>) {
      for (const application of applications) if (application.status === "PENDING") pending.push(application.id);
    }
  }
  for (const group of chunks(pending, batch)) {
    const variables = Object.fromEntries(group.map((id, i) => [`id${i}`, id]));
    const fields = group.map((_, i) => `p${i}: approveApplication(id: $id${i}) { status }`);
    const definitions = group.map((_, i) => `$id${i}: ID!`).join(", ");
    await post(options.graphqlUrl, options.approverToken, `mutation Approve(${definitions}) { ${fields.join(" ")} }`, variables);
  }
}
