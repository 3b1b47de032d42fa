/** A GraphQL-over-HTTP POST, as an app would send it. */
export interface GraphQLResult {
  status: number;
  headers: Headers;
  body: {
    data?: any;
    errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; [key: string]: unknown } }>;
    /** `receipt`: the gateway's signed receipt, on every response that releases data. */
    extensions?: { receipt?: string; [key: string]: unknown };
  };
}

/** A response body without its receipt (each response has its own), to compare two answers. */
export function withoutReceipt(body: GraphQLResult["body"]): GraphQLResult["body"] {
  const { extensions, ...rest } = body;
  const { receipt: _receipt, ...otherExtensions } = extensions ?? {};
  return Object.keys(otherExtensions).length > 0 ? { ...rest, extensions: otherExtensions } : rest;
}

let defaultAuthorization: string | undefined;

/**
 * The Authorization header sent when a test passes none: startSystem sets it
 * to a token holding every scope, so suites about data need not repeat it.
 * Suites about access control pass their own header (or `authorization: ""`).
 */
export function setDefaultAuthorization(value: string | undefined): void {
  defaultAuthorization = value;
}

export async function postGraphQL(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResult> {
  const response = await fetch(url, {
    method: "POST",
    headers: withoutEmpty({ "content-type": "application/json", ...(defaultAuthorization ? { authorization: defaultAuthorization } : {}), ...headers }),
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResult["body"] };
}

/** The `extensions.code` of every error, with its path joined by dots. */
export function errorCodesByPath(result: GraphQLResult): Record<string, string | undefined> {
  return Object.fromEntries((result.body.errors ?? []).map((e) => [(e.path ?? []).join("."), e.extensions?.code]));
}

function withoutEmpty(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== ""));
}
