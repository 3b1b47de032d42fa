/**
 * Field suggestions ("Did you mean ...?") reveal the schema to whoever probes
 * it; only agency developers holding `schema:introspect` get them.
 * (Introspection itself is authorized with the other fields: see
 * ../authz/createOperationAuthorizer.ts.)
 */
import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../GatewayContext.ts";
import { INTROSPECTION_SCOPE } from "../authz/createOperationAuthorizer.ts";


const SUGGESTION = / ?Did you mean [^?]*\?/g;

export function schemaDisclosurePlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (contextValue.principal?.scopes.has(INTROSPECTION_SCOPE) || response.body.kind !== "single") return;
          const errors = response.body.singleResult.errors;
          if (!errors) return;
          response.body.singleResult.errors = errors.map((error) => {
            const message = error.message.replace(SUGGESTION, "");
            return message === error.message ? error : { ...error, message };
          });
        },
      };
    },
  };
}
