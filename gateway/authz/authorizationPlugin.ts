/**
 * Field permissions on Apollo Server's hooks: before Apollo parses the
 * operation, replace it with the authorized version; before the response
 * leaves, put `null` and FORBIDDEN at each denied path. In `reject` mode an
 * operation with any denied field is refused whole with FORBIDDEN instead.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { ErrorCode, ServiceError } from "../../platform/errors.ts";
import type { GatewayContext } from "../GatewayContext.ts";
import type { AuthorizationDecision, KeyedSubject } from "./createOperationAuthorizer.ts";
import { markDeniedFields } from "./markDeniedFields.ts";

export interface AuthorizationPluginOptions {
  authorize(query: string, operationName: string | undefined, subject: KeyedSubject, variables?: Record<string, unknown>): AuthorizationDecision | null;
  /** `filter`: drop denied fields; `reject`: refuse the operation. @default "filter" */
  mode: "filter" | "reject";
}

export function authorizationPlugin(options: AuthorizationPluginOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      const { principal } = contextValue;
      if (typeof request.query !== "string") return;
      let decision: AuthorizationDecision | null;
      try {
        decision = options.authorize(request.query, request.operationName ?? undefined, {
          authenticated: true,
          scopes: principal.scopes,
          key: principal.scopeKey,
          ungrantedScopes: principal.ungrantedScopes,
          fixedArguments: principal.fixedArguments,
        }, principal.fixedArguments?.size ? (request.variables ?? {}) : undefined);
      } catch (error) {
        // Refused before planning (a bad scalar literal, too complex): answer with that error alone.
        const refusal = error instanceof ServiceError ? error : new ServiceError(ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error");
        refusal.extensions.http = { status: 400 };
        return {
          async didResolveOperation() {
            throw refusal;
          },
        };
      }
      contextValue.authorization = decision;
      if (!decision || decision.denied.length === 0) return;
      if (options.mode === "filter") request.query = decision.query;
      return {
        async didResolveOperation() {
          if (options.mode === "reject") {
            throw new ServiceError(ErrorCode.FORBIDDEN, "Not authorized to read every field of this operation", { http: { status: 403 } });
          }
        },
        async willSendResponse({ response }) {
          if (options.mode !== "filter" || response.body.kind !== "single") return;
          const result = response.body.singleResult;
          if (!result.data) return;
          const errors = markDeniedFields(result.data as Record<string, unknown>, decision.denied, decision.usesPlaceholder);
          result.errors = [...(result.errors ?? []), ...errors];
        },
      };
    },
  };
}
