/**
 * Everything governance adds to a gateway, built once: the catalog from the
 * supergraph, the data-sharing process on the gateway's database, the grant
 * cache with its cross-process invalidation, the principal governor for the
 * request path, the governance subgraph, and the sweep that records expired
 * grants in the audit chain.
 */
import type { JSONWebKeySet } from "jose";
import type { SecuredSubgraph } from "../../platform/subgraph/createSecuredSubgraph.ts";
import type { AuditLog } from "../audit/openAuditLog.ts";
import type { Principal } from "../authn/Principal.ts";
import type { GatewayConfig } from "../config.ts";
import { createGovernance, type Governance } from "./createGovernance.ts";
import { createGrantCache } from "./createGrantCache.ts";
import { createGrantInvalidation, type GrantInvalidation } from "./createGrantInvalidation.ts";
import { createPrincipalGovernor } from "./createPrincipalGovernor.ts";
import { readCatalog, type Catalog } from "./readCatalog.ts";
import { createGovernanceSubgraph } from "./subgraph/createGovernanceSubgraph.ts";

export interface OpenGovernance {
  catalog: Catalog;
  governance: Governance;
  invalidation: GrantInvalidation;
  /** The principal with the scopes its grants allow (request path). */
  govern(principal: Principal): Promise<Principal>;
  subgraph: SecuredSubgraph;
  stop(): Promise<void>;
}

export interface OpenGovernanceOptions {
  supergraphSdl: string;
  audit: AuditLog;
  gatewayJwks: JSONWebKeySet;
  config: Pick<GatewayConfig, "redisUrl" | "auditDatabase">;
  /** How often expired grants are looked for and recorded. @default 30_000 */
  expirySweepMs?: number;
}

export async function openGovernance(options: OpenGovernanceOptions): Promise<OpenGovernance> {
  const log = (message: string, error: unknown) => console.error(`governance: ${message}:`, error instanceof Error ? error.message : error);
  const catalog = readCatalog(options.supergraphSdl);
  let governance: Governance;
  const grants = createGrantCache({ load: (app, purpose) => governance.activeGrants(app, purpose) });
  const invalidation = await createGrantInvalidation({
    redisUrl: options.config.redisUrl,
    database: options.config.auditDatabase,
    onInvalidate: (app, purpose) => grants.invalidate(app, purpose),
    onReset: () => grants.invalidate(),
    log,
  });
  governance = createGovernance({
    prisma: options.audit.database.prisma,
    audit: options.audit.writer,
    catalog,
    changed: (app, purpose) => invalidation.publish(app, purpose),
  });
  const subgraph = await createGovernanceSubgraph({ governance, catalog, gatewayJwks: options.gatewayJwks });
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => (sweeping = sweeping.then(() => governance.expireDue()).catch((error) => log("expiry sweep", error)));
  sweep();
  const timer = setInterval(sweep, options.expirySweepMs ?? 30_000);
  timer.unref();
  return {
    catalog,
    governance,
    invalidation,
    govern: createPrincipalGovernor({ governedScopes: governance.governedScopes, grants, log }),
    subgraph,
    stop: async () => {
      clearInterval(timer);
      await sweeping;
      await subgraph.stop();
      await invalidation.close();
    },
  };
}
