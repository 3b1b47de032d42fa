/**
 * Field permissions on Apollo Server's hooks: before Apollo parses the
 * operation, decide what the caller may read and replace the operation with
 * the authorized version; before the response leaves, put `null` and
 * FORBIDDEN at each denied path. In `reject` mode an operation with any
 * denied field is refused whole with FORBIDDEN instead.
 *
 * Nothing is allowed undecided: an operation the authorizer cannot parse,
 * validate, choose or measure is refused (HTTP 400, one error), and so is a
 * variable the schema or the standard refuses. Verification fields are
 * limited per request and per (app, citizen, field) budget here too
 * (see ./limitVerifications.ts).
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { HeaderMap } from "@apollo/server";
import type { GraphQLError, GraphQLSchema } from "graphql";
import { ErrorCode, ServiceError } from "../../platform/errors.ts";
import type { GatewayContext } from "../GatewayContext.ts";
import type { AuthorizationDecision, OperationAuthorizer } from "./createOperationAuthorizer.ts";
import { inspectArguments } from "./inspectArguments.ts";
import { limitVerifications, type VerificationBudget } from "./limitVerifications.ts";
import { markDeniedFields } from "./markDeniedFields.ts";
import { refuseUngrantedArguments } from "./refuseUngrantedArguments.ts";
import { requestRefusal } from "./requestRefusal.ts";

export interface AuthorizationPluginOptions {
  authorize: OperationAuthorizer;
  /** The API schema variables are coerced against (with the standard's scalars). */
  schema: GraphQLSchema;
  /** `filter`: drop denied fields; `reject`: refuse the operation. @default "filter" */
  mode: "filter" | "reject";
  /** Cross-request budget of verification fields. */
  verificationBudget: VerificationBudget;
  pseudonymize(citizenId: string): string;
}

function refuse(error: unknown) {
  return {
    async didResolveOperation() {
      throw error;
    },
  };
}

/** A mutation or subscription sent with GET: 405, as GraphQL over HTTP asks. */
function methodRefusal(authorize: OperationAuthorizer, query: string, operationName: string | null | undefined): GraphQLError | null {
  const type = authorize.operationTypeOf(query, operationName);
  if (!type || type === "query") return null;
  return requestRefusal("BAD_REQUEST", `GET requests only support query operations, not ${type} operations`, undefined, {
    status: 405,
    headers: new HeaderMap([["allow", "POST"]]),
  });
}

export function authorizationPlugin(options: AuthorizationPluginOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      const { principal } = contextValue;
      if (typeof request.query !== "string") return;
      const query = request.query;
      const subject = { authenticated: true, scopes: principal.scopes, key: principal.scopeKey, ungrantedScopes: principal.ungrantedScopes };
      let decision: AuthorizationDecision;
      try {
        const wrongMethod = request.http?.method === "GET" ? methodRefusal(options.authorize, query, request.operationName) : null;
        if (wrongMethod) throw wrongMethod;
        decision = options.authorize(query, request.operationName, subject);
        contextValue.operationName = decision.operation.name?.value ?? null;
        const inspection = inspectArguments(options.schema, decision.document, decision.operation, request.variables, options.authorize.isVerificationField);
        contextValue.citizensAskedFor = inspection.citizens;
        // Arguments a grant fixes (e.g. incomeAtLeast's amount for a loan purpose): others are refused.
        const fixed = refuseUngrantedArguments(inspection.verifications, principal.fixedArguments, options.pseudonymize);
        const limited = await limitVerifications({
          decision,
          verifications: fixed.allowed,
          app: principal.app,
          budget: options.verificationBudget,
          pseudonymize: options.pseudonymize,
        });
        contextValue.verifications = [...limited.uses, ...fixed.uses];
        const denials = new Map([...limited.denials, ...fixed.denials]);
        if (denials.size > 0) decision = options.authorize.withDenials(decision, subject, denials);
      } catch (error) {
        // Refused before planning: answer with that error alone, and run nothing.
        const refusal = error instanceof Error && "extensions" in error ? error : new ServiceError(ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error");
        request.query = "{ __typename }";
        request.operationName = undefined;
        request.variables = {};
        return refuse(refusal);
      }
      contextValue.authorization = decision;
      if (decision.denied.length === 0) return;
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
