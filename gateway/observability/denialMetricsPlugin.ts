/** Counts the fields the authorization step removed, by coordinate and reason. */
import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../GatewayContext.ts";

export function denialMetricsPlugin(options: { denied(field: string, reason: string): void }): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue }) {
          for (const denial of contextValue.authorization?.denied ?? []) options.denied(denial.coordinate, denial.reason);
        },
      };
    },
  };
}
