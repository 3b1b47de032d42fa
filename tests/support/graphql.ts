/** A GraphQL-over-HTTP POST, as an app would send it. */
export interface GraphQLResult {
  status: number;
  headers: Headers;
  body: {
    data?: any;
    errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; [key: string]: unknown } }>;
  };
}

export async function postGraphQL(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResult> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResult["body"] };
}

/** The `extensions.code` of every error, with its path joined by dots. */
export function errorCodesByPath(result: GraphQLResult): Record<string, string | undefined> {
  return Object.fromEntries((result.body.errors ?? []).map((e) => [(e.path ?? []).join("."), e.extensions?.code]));
}
