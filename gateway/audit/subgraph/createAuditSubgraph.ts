/**
 * The gateway's own subgraph: the audit log, served from the gateway's
 * database at AUDIT_SUBGRAPH_PATH with the same gateway-token check and
 * SDL-driven access rules as every agency's subgraph.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "graphql";
import type { JSONWebKeySet } from "jose";
import { createSecuredSubgraph, type SecuredSubgraph, type SecuredSubgraphOptions } from "../../../platform/subgraph/createSecuredSubgraph.ts";
import type { AuditLog } from "../openAuditLog.ts";
import { verifyAuditChain } from "../verifyAuditChain.ts";
import { DEFAULT_ANOMALY_THRESHOLDS, type AnomalyThresholds } from "../insights/AnomalyThresholds.ts";
import type { FieldLevelOf } from "../insights/fieldLevelOf.ts";
import { auditResolvers } from "./resolvers.ts";

/** The audit subgraph's name in the supergraph and where the gateway serves it. */
export const AUDIT_SUBGRAPH = "audit";
export const AUDIT_SUBGRAPH_PATH = "/subgraphs/audit/graphql";

const AUDIT_SDL = fileURLToPath(new URL("./schema.graphql", import.meta.url));

export function createAuditSubgraph(options: {
  audit: AuditLog;
  gatewayJwks: JSONWebKeySet;
  headsPath: string;
  /** The anomaly rules' thresholds. @default DEFAULT_ANOMALY_THRESHOLDS */
  anomalies?: AnomalyThresholds;
  /** The catalog's level of a field coordinate, for auditSummary's per-level counts (fieldLevelsOf the supergraph). */
  levelOf: FieldLevelOf;
  /** Records a request refused before GraphQL ran (a 401 without the gateway's token). */
  beforeRefusal?: SecuredSubgraphOptions<object>["beforeRefusal"];
}): Promise<SecuredSubgraph> {
  const { audit, gatewayJwks, headsPath } = options;
  const anomalies = options.anomalies ?? DEFAULT_ANOMALY_THRESHOLDS;
  // From the last verified signed head on (`npm run audit -- verify --full` re-checks everything).
  const verifyChain = () => verifyAuditChain({ session: audit.database.session, gatewayJwks, headsPath, mode: "incremental" });
  return createSecuredSubgraph({
    name: AUDIT_SUBGRAPH,
    typeDefs: parse(readFileSync(AUDIT_SDL, "utf8")),
    resolvers: auditResolvers,
    gatewayJwks,
    graphqlPath: AUDIT_SUBGRAPH_PATH,
    beforeRefusal: options.beforeRefusal,
    context: () => ({ prisma: audit.database.prisma, session: audit.database.session, pseudonymize: audit.pseudonymize, verifyChain, anomalies, levelOf: options.levelOf }),
  });
}
