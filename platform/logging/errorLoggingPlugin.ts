/**
 * Logs, with its stack and the request id, every error that clients only see
 * as INTERNAL_SERVER_ERROR (resolver bugs, driver failures). The client's
 * error stays masked by normalizeError; the operator gets the detail here.
 */
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { isInternalErrorCode } from "../normalizeError.ts";
import type { Logger } from "./createLogger.ts";

export interface ErrorLoggingPluginOptions<Context> {
  logger: Logger;
  /** The request id from the context. */
  requestIdOf(context: Context): string | undefined;
}

export function errorLoggingPlugin<Context extends BaseContext>(options: ErrorLoggingPluginOptions<Context>): ApolloServerPlugin<Context> {
  const { logger } = options;
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            if (!isInternalErrorCode(error.extensions?.code)) continue;
            logger.error(
              { err: error.originalError ?? error, requestId: options.requestIdOf(contextValue), operationName, path: error.path },
              "internal error (answered as INTERNAL_SERVER_ERROR)",
            );
          }
        },
      };
    },
  };
}
