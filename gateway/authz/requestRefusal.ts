/**
 * A client's mistake found before planning, answered with HTTP 400 and one
 * error carrying the GraphQL-over-HTTP code Apollo Server uses for it
 * (`GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`,
 * `OPERATION_RESOLUTION_FAILURE`, `BAD_REQUEST`).
 */
import { GraphQLError, type SourceLocation } from "graphql";

export type RequestRefusalCode = "GRAPHQL_PARSE_FAILED" | "GRAPHQL_VALIDATION_FAILED" | "OPERATION_RESOLUTION_FAILURE" | "BAD_REQUEST";

export function requestRefusal(
  code: RequestRefusalCode,
  message: string,
  locations?: readonly SourceLocation[],
  http: { status: number; headers?: Map<string, string> } = { status: 400 },
): GraphQLError {
  const error = new GraphQLError(message, { extensions: { code, http } as Record<string, unknown> });
  // graphql-js takes locations from AST nodes only; a parse error's own are kept as they were.
  if (locations) (error as { locations?: readonly SourceLocation[] }).locations = locations;
  return error;
}
