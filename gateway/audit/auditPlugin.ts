/**
 * Every GraphQL request leaves an audit record, and no response leaves the
 * gateway before its record is committed: `willSendResponse` waits for the
 * group commit. If the audit database cannot take the record, the response
 * is replaced by SERVICE_UNAVAILABLE with no data (fail closed).
 */
import type { ApolloServerPlugin } from "@apollo/server";
import type { FormattedExecutionResult, GraphQLFormattedError } from "graphql";
import { ErrorCode } from "../../platform/errors.ts";
import type { GatewayContext } from "../GatewayContext.ts";
import type { AuditEntry, AuditOutcome } from "./AuditEntry.ts";
import type { AuditWriter, CommittedRecord } from "./createAuditWriter.ts";
import { sanitizeAuditText } from "./sanitizeAuditText.ts";
import { createTextDigestCache } from "../../platform/security/createTextDigestCache.ts";
import { PLACEHOLDER_KEY } from "../authz/createOperationAuthorizer.ts";

export interface AuditPluginOptions {
  writer: AuditWriter;
  pseudonymize(citizenId: string): string;
  /**
   * Called once the record is committed, before the response leaves, with
   * the response as it will be sent (e.g. to attach a signed receipt). If it
   * throws, the response is refused like an uncommitted one.
   */
  afterCommit?(committed: CommittedRecord, entry: AuditEntry, result: FormattedExecutionResult): void;
}

const unique = (values: Iterable<string>) => [...new Set(values)].sort();

/**
 * Whether a response's data holds any value at all (`{ citizen: null }` holds
 * none). The authorization placeholders that stand in for emptied selections
 * are not values (this hook runs before they are removed).
 */
function holdsValue(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some(holdsValue);
  if (typeof value === "object") {
    return Object.entries(value).some(([key, inner]) => key !== PLACEHOLDER_KEY && holdsValue(inner));
  }
  return true;
}

function outcomeOf(data: unknown, errorCodes: string[]): AuditOutcome {
  if (!holdsValue(data)) return errorCodes.includes(ErrorCode.FORBIDDEN) ? "DENIED" : "FAILED";
  return errorCodes.length > 0 ? "PARTIAL" : "ALLOWED";
}

export function auditPlugin(options: AuditPluginOptions): ApolloServerPlugin<GatewayContext> {
  const operationHashOf = createTextDigestCache();
  return {
    async requestDidStart({ request, contextValue }) {
      // From here Apollo always reaches willSendResponse: this plugin writes the record (the HTTP layer writes the others).
      if (contextValue.auditState) contextValue.auditState.recorded = true;
      // Taken before authorization rewrites the operation: the record names what the app sent.
      const operationHash = typeof request.query === "string" ? operationHashOf(request.query) : null;
      const operationName = request.operationName ?? null;
      return {
        async willSendResponse({ response, contextValue, operationName: resolvedName }) {
          const single = response.body.kind === "single" ? response.body.singleResult : undefined;
          const decision = contextValue.authorization;
          const denied = decision?.denied ?? [];
          const errorCodes = unique([
            ...(single?.errors ?? []).map((e) => String(e.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR)),
            ...(denied.length > 0 ? [ErrorCode.FORBIDDEN] : []),
            // Why, beyond missing scopes: e.g. FORBIDDEN:NO_GRANT (the owning agency has not granted it for this purpose).
            ...denied.filter((d) => d.reason !== "SCOPE").map((d) => `${ErrorCode.FORBIDDEN}:${d.reason}`),
          ]);
          const dataReleased = single?.data !== undefined && single.data !== null;
          const { principal } = contextValue;
          const entry: AuditEntry = {
            time: new Date(contextValue.startedAt),
            requestId: contextValue.requestId,
            app: sanitizeAuditText(principal.app),
            tokenId: sanitizeAuditText(principal.tokenId),
            purpose: sanitizeAuditText(principal.purpose),
            operationName: sanitizeAuditText(operationName ?? contextValue.operationName ?? resolvedName ?? null),
            operationHash,
            // Each citizen once (the one asked for is usually read too): one HMAC per distinct id.
            citizens: unique([...new Set([...(contextValue.citizensAskedFor ?? []), ...contextValue.citizensRead])].map(options.pseudonymize)),
            requestedFields: unique(decision?.requested ?? []),
            grantedFields: unique(decision?.granted ?? []),
            deniedFields: unique(denied.map((d) => d.coordinate)),
            outcome: outcomeOf(single?.data, errorCodes),
            dataReleased,
            errorCodes,
            subgraphs: unique(contextValue.subgraphsCalled),
            latencyMs: Math.round(performance.now() - contextValue.startedAtMonotonic),
            clientAddress: sanitizeAuditText(contextValue.clientAddress, 64),
            ...(contextValue.verifications?.length ? { verifications: contextValue.verifications } : {}),
          };
          try {
            const committed = await options.writer.write(entry);
            if (single) options.afterCommit?.(committed, entry, single);
          } catch {
            const unavailable: GraphQLFormattedError = {
              message: "Service unavailable: the access could not be recorded",
              extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
            };
            response.body = { kind: "single", singleResult: { errors: [unavailable] } };
            response.http.status = 503;
            response.http.headers.set("retry-after", "5");
          }
        },
      };
    },
  };
}
