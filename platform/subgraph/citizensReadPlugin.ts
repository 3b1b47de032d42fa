import type { ApolloServerPlugin } from "@apollo/server";

/** Reports to the gateway whose data this request read or was refused, for the audit log (never to apps: the gateway drops subgraph extensions). */
export function citizensReadPlugin(): ApolloServerPlugin<{ citizensRead: Set<string> }> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== "single" || contextValue.citizensRead.size === 0) return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, citizensRead: [...contextValue.citizensRead] };
        },
      };
    },
  };
}
