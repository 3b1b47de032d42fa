/**
 * Before the operation is parsed by Apollo: resolve an app's registered
 * operation (safelist / persisted query by SHA-256), refuse anything else from
 * a safelisted app, and refuse operations beyond the configured shape limits,
 * measured with fragments expanded. A refused request runs nothing: its
 * operation is replaced by `{ __typename }` and the refusal is the answer.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { ErrorCode, ServiceError } from "../../platform/errors.ts";
import { INTROSPECTION_SCOPE } from "../authz/createOperationAuthorizer.ts";
import type { GatewayContext } from "../GatewayContext.ts";
import { operationHashOf, type AppRegistry } from "./appRegistry.ts";
import { createOperationMeasurer } from "./createOperationMeasurer.ts";
import { assertWithinLimits, operationTooComplex, type OperationLimits } from "./operationLimits.ts";

export interface GuardPluginOptions {
  registry: AppRegistry;
  limits: OperationLimits;
}

function notSafelisted(): ServiceError {
  return new ServiceError(ErrorCode.OPERATION_NOT_SAFELISTED, "This app may only send its registered operations", { http: { status: 403 } });
}

function refuse(error: unknown) {
  return {
    async didResolveOperation() {
      throw error;
    },
  };
}

export function guardPlugin(options: GuardPluginOptions): ApolloServerPlugin<GatewayContext> {
  const measureOf = createOperationMeasurer({ maxTokens: options.limits.maxTokens });
  return {
    async requestDidStart({ request, contextValue }) {
      try {
        const app = options.registry.get(contextValue.principal.app);
        const persisted = request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
        if (persisted) {
          // Registered operations only: there is no automatic registration.
          const text = typeof persisted.sha256Hash === "string" ? app?.operations.get(persisted.sha256Hash) : undefined;
          if (!text || (typeof request.query === "string" && operationHashOf(request.query) !== persisted.sha256Hash)) throw notSafelisted();
          request.query = text;
          delete request.extensions!.persistedQuery;
        } else if (app?.safelist && (typeof request.query !== "string" || !app.operations.has(operationHashOf(request.query)))) {
          throw notSafelisted();
        }
        if (typeof request.query !== "string") return;
        const measurement = measureOf(request.query, request.operationName);
        // Too many tokens is a limit; any other syntax error is Apollo's to report.
        if (measurement.kind === "too-many-tokens") throw operationTooComplex();
        if (measurement.kind === "syntax-error") return;
        const measure = measurement.measure;
        if (measure) {
          assertWithinLimits(measure, options.limits, {
            introspectionDepthExempt: contextValue.principal.scopes.has(INTROSPECTION_SCOPE),
          });
        }
      } catch (error) {
        request.query = "{ __typename }";
        request.operationName = undefined;
        if (request.extensions) delete request.extensions.persistedQuery;
        return refuse(error);
      }
    },
  };
}
