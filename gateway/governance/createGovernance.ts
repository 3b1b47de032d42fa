/**
 * The data-sharing process (数据共享), after Shanxi's rules for government
 * data sharing: an app registered with its consuming department applies
 * for scopes for one purpose; unconditional scopes are granted at once and
 * the owning agency sees the grant on its list; conditional ones wait for
 * the owning agency's approver (`grants:approve:<agency>`), who approves or
 * refuses with a reason; not-shared data cannot be applied for. Grants
 * expire after their duration and the owning agency may revoke one at any
 * moment. Every step is an audit record with actor, reason and time, and
 * every change of grants reaches every gateway process's cache.
 */
import { randomUUID } from "node:crypto";
import { BadUserInputError, ErrorCode, ServiceError } from "../../platform/errors.ts";
import type { AuditWriter } from "../audit/createAuditWriter.ts";
import type { PrismaClient } from "../audit/prisma/generated/client.ts";
import type { ActiveGrants } from "./ActiveGrants.ts";
import { governanceAuditEntry } from "./governanceAuditEntry.ts";
import type { Catalog } from "./readCatalog.ts";
import { ANSWER_WITHIN_WORKING_DAYS, workingDaysBetween } from "./workingDays.ts";

/** Who acts: the verified caller, as the gateway's token to its own subgraph names it. */
export interface Actor {
  app: string;
  scopes: ReadonlySet<string>;
  /** The purpose of the actor's own token (recorded as the step's purpose). */
  purpose?: string;
}

/** The scope an owning agency's approvers hold. */
export function approverScopeOf(agency: string): string {
  return `grants:approve:${agency}`;
}

/** Registers and applies for any app (the platform's operators). */
export const GRANTS_ADMIN_SCOPE = "grants:admin";

export interface ApplicationInput {
  app: string;
  purpose: string;
  scopes: string[];
  description: string;
  legalBasis: string;
  scenario: string;
  durationDays: number;
  /** Arguments the grant fixes for verification fields, by field coordinate. */
  fixedArguments?: Record<string, Record<string, unknown>> | null;
}

export type ApplicationStatus = "PENDING" | "APPROVED" | "REFUSED" | "GRANTED";
export type GrantStatus = "ACTIVE" | "EXPIRED" | "REVOKED";

export interface ApplicationView {
  id: string;
  app: string;
  purpose: string;
  agency: string;
  scopes: string[];
  pendingScopes: string[];
  description: string;
  legalBasis: string;
  scenario: string;
  durationDays: number;
  fixedArguments: Record<string, Record<string, unknown>> | null;
  status: ApplicationStatus;
  appliedAt: Date;
  appliedBy: string;
  decidedAt: Date | null;
  decidedBy: string | null;
  reason: string | null;
  /** Working days since it was filed (weekends not counted). */
  ageWorkingDays: number;
  /** Pending past the agency's 5 working days. */
  overdue: boolean;
}

export interface GrantView {
  id: string;
  applicationId: string;
  app: string;
  purpose: string;
  agency: string;
  scopes: string[];
  fixedArguments: Record<string, Record<string, unknown>> | null;
  grantedAt: Date;
  grantedBy: string;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedBy: string | null;
  revokeReason: string | null;
  status: GrantStatus;
}

export interface GovernanceOptions {
  prisma: PrismaClient;
  audit: AuditWriter;
  catalog: Catalog;
  /** Announces a change of one (app, purpose)'s grants to every gateway process. */
  changed(app: string, purpose: string): Promise<void>;
  now?: () => Date;
}

const PURPOSE = /^[A-Z][A-Z0-9_]{0,63}$/;
const MAX_TEXT = 2000;
const MAX_DAYS = 1830;

function requireText(name: string, value: unknown, max = MAX_TEXT): string {
  const text = typeof value === "string" ? value.trim() : "";
  if (!text) throw new BadUserInputError(`${name} is required`);
  if (text.length > max) throw new BadUserInputError(`${name} is longer than ${max} characters`);
  return text;
}

function forbidden(message: string): ServiceError {
  return new ServiceError(ErrorCode.FORBIDDEN, message);
}

type Row<T> = T & { fixedArguments: unknown };

export function createGovernance(options: GovernanceOptions) {
  const { prisma, catalog } = options;
  const now = options.now ?? (() => new Date());
  const scopes = new Map(catalog.scopes.map((s) => [s.scope, s]));
  /** Scopes governed by grants: the catalog's. Others (audit:read, grants:approve:…) are not agency data. */
  const governedScopes: ReadonlySet<string> = new Set(scopes.keys());

  const isApproverOf = (actor: Actor, agency: string) => actor.scopes.has(approverScopeOf(agency));
  const isAdmin = (actor: Actor) => actor.scopes.has(GRANTS_ADMIN_SCOPE);
  const approverAgencies = (actor: Actor) => catalog.agencies.filter((agency) => isApproverOf(actor, agency));
  /** Rows an actor may see: its own app's, its agency's, or all for auditors and operators. */
  function visibility(actor: Actor): object {
    if (isAdmin(actor) || actor.scopes.has("audit:read")) return {};
    return { OR: [{ app: actor.app }, { agency: { in: approverAgencies(actor) } }] };
  }

  /**
   * One audit record per step. Like every record, its `app` and `purpose` are
   * who acted and why (the actor's token; `system` for automatic grants and
   * expiry); the app and purpose the step concerns are in the step.
   */
  async function record(by: Actor | null, app: string, purpose: string | null, action: Record<string, unknown> & { action: string }) {
    const actor = by?.app ?? "system";
    await options.audit.write(governanceAuditEntry({ app: actor, purpose: by?.purpose ?? null, action: { reason: null, ...action, actor, app, purpose } }));
  }

  function applicationView(row: Row<Omit<ApplicationView, "ageWorkingDays" | "overdue" | "fixedArguments" | "status"> & { status: string }>): ApplicationView {
    const age = workingDaysBetween(row.appliedAt, row.decidedAt ?? now());
    return {
      ...row,
      status: row.status as ApplicationStatus,
      fixedArguments: (row.fixedArguments ?? null) as ApplicationView["fixedArguments"],
      ageWorkingDays: age,
      overdue: row.status === "PENDING" && age > ANSWER_WITHIN_WORKING_DAYS,
    };
  }

  function grantView(row: Row<Omit<GrantView, "status" | "fixedArguments">>): GrantView {
    const status: GrantStatus = row.revokedAt ? "REVOKED" : row.expiresAt.getTime() <= now().getTime() ? "EXPIRED" : "ACTIVE";
    return { ...row, fixedArguments: (row.fixedArguments ?? null) as GrantView["fixedArguments"], status };
  }

  async function grant(application: { id: string; app: string; purpose: string; agency: string; durationDays: number; fixedArguments: unknown }, grantScopes: string[], by: Actor | null) {
    const grantedAt = now();
    const row = await prisma.governanceGrant.create({
      data: {
        id: `grant_${randomUUID()}`,
        applicationId: application.id,
        app: application.app,
        purpose: application.purpose,
        agency: application.agency,
        scopes: grantScopes,
        fixedArguments: (application.fixedArguments ?? undefined) as never,
        grantedAt,
        grantedBy: by?.app ?? "system",
        expiresAt: new Date(grantedAt.getTime() + application.durationDays * 86_400_000),
      },
    });
    await record(by, application.app, application.purpose, { action: "GRANT", grant: row.id, application: application.id, agency: application.agency, scopes: grantScopes, expiresAt: row.expiresAt.toISOString() });
    await options.changed(application.app, application.purpose);
    return row;
  }

  async function pendingApplication(id: string, actor: Actor) {
    const application = await prisma.governanceApplication.findUnique({ where: { id } });
    if (!application) throw new BadUserInputError("No such application");
    if (!isApproverOf(actor, application.agency)) throw forbidden(`Only ${application.agency}'s approvers (${approverScopeOf(application.agency)}) decide this application`);
    if (application.status !== "PENDING") throw new BadUserInputError(`The application is already ${application.status}`);
    return application;
  }

  return {
    governedScopes,

    /** Active grants of an app for a purpose (what enforcement intersects with). */
    async activeGrants(app: string, purpose: string): Promise<ActiveGrants> {
      const rows = await prisma.governanceGrant.findMany({
        where: { app, purpose, revokedAt: null, expiresAt: { gt: now() } },
        select: { scopes: true, fixedArguments: true, expiresAt: true },
      });
      const granted = new Set<string>();
      const fixed = new Map<string, Record<string, unknown>>();
      let validUntil = Infinity;
      for (const row of rows) {
        for (const scope of row.scopes) granted.add(scope);
        for (const [coordinate, args] of Object.entries((row.fixedArguments ?? {}) as Record<string, Record<string, unknown>>)) fixed.set(coordinate, args);
        validUntil = Math.min(validUntil, row.expiresAt.getTime());
      }
      return { scopes: granted, fixedArguments: fixed, validUntil };
    },

    async registerApp(actor: Actor, input: { app: string; department: string; contact: string }) {
      const app = requireText("app", input.app, 200);
      if (actor.app !== app && !isAdmin(actor)) throw forbidden("An app registers itself (or an operator with grants:admin does)");
      const data = { department: requireText("department", input.department, 200), contact: requireText("contact", input.contact, 200) };
      const row = await prisma.governanceApp.upsert({ where: { app }, create: { app, ...data, registeredBy: actor.app }, update: data });
      await record(actor, app, null, { action: "REGISTER_APP", department: data.department, contact: data.contact });
      return row;
    },

    /** Registered apps: all for operators, auditors and approvers; an app sees its own (contacts are people). */
    async apps(actor: Actor) {
      const all = isAdmin(actor) || actor.scopes.has("audit:read") || approverAgencies(actor).length > 0;
      return prisma.governanceApp.findMany({ where: all ? {} : { app: actor.app }, orderBy: { app: "asc" } });
    },

    /**
     * Files an application: one per owning agency of the scopes asked for.
     * Unconditional scopes are granted at once; conditional ones wait.
     */
    async applyForAccess(actor: Actor, input: ApplicationInput): Promise<ApplicationView[]> {
      const app = requireText("app", input.app, 200);
      if (actor.app !== app && !isAdmin(actor)) throw forbidden("An app applies for itself (or an operator with grants:admin does)");
      const purpose = requireText("purpose", input.purpose, 64);
      if (!PURPOSE.test(purpose)) throw new BadUserInputError("purpose must be a code like HPF_WITHDRAWAL_HOME_PURCHASE");
      const description = requireText("description", input.description);
      const legalBasis = requireText("legalBasis", input.legalBasis);
      const scenario = requireText("scenario", input.scenario);
      if (!Number.isInteger(input.durationDays) || input.durationDays < 1 || input.durationDays > MAX_DAYS) {
        throw new BadUserInputError(`durationDays must be a whole number from 1 to ${MAX_DAYS}`);
      }
      const asked = [...new Set(input.scopes.map((s) => s.trim()).filter(Boolean))].sort();
      if (asked.length === 0) throw new BadUserInputError("scopes: ask for at least one scope");
      for (const scope of asked) {
        const known = scopes.get(scope);
        if (!known) throw new BadUserInputError(`scopes: ${scope} is not in the data catalog`);
        if (known.sharing === "NOT_SHARED") throw new BadUserInputError(`scopes: ${scope} is not shared (不予共享) and cannot be applied for`);
      }
      const fixedArguments = input.fixedArguments && Object.keys(input.fixedArguments).length > 0 ? input.fixedArguments : null;
      for (const coordinate of Object.keys(fixedArguments ?? {})) {
        const field = catalog.fields.find((f) => f.coordinate === coordinate);
        if (!field || !field.scope || !asked.includes(field.scope)) throw new BadUserInputError(`fixedArguments: ${coordinate} is not a field of the scopes asked for`);
      }
      const registered = await prisma.governanceApp.findUnique({ where: { app } });
      if (!registered) throw new BadUserInputError(`${app} is not registered: registerApp first`);

      const byAgency = new Map<string, string[]>();
      for (const scope of asked) {
        const agency = scopes.get(scope)!.agency;
        byAgency.set(agency, [...(byAgency.get(agency) ?? []), scope]);
      }
      const filed: ApplicationView[] = [];
      for (const [agency, agencyScopes] of byAgency) {
        const conditional = agencyScopes.filter((s) => scopes.get(s)!.sharing === "CONDITIONAL");
        const unconditional = agencyScopes.filter((s) => scopes.get(s)!.sharing === "UNCONDITIONAL");
        const fixedHere = fixedArguments
          ? Object.fromEntries(Object.entries(fixedArguments).filter(([c]) => catalog.fields.find((f) => f.coordinate === c)?.agency === agency))
          : null;
        const appliedAt = now();
        const application = await prisma.governanceApplication.create({
          data: {
            id: `appl_${randomUUID()}`,
            app,
            purpose,
            agency,
            scopes: agencyScopes,
            pendingScopes: conditional,
            description,
            legalBasis,
            scenario,
            durationDays: input.durationDays,
            fixedArguments: (fixedHere && Object.keys(fixedHere).length > 0 ? fixedHere : undefined) as never,
            status: conditional.length > 0 ? "PENDING" : "GRANTED",
            appliedAt,
            appliedBy: actor.app,
            ...(conditional.length > 0 ? {} : { decidedAt: appliedAt, decidedBy: "system" }),
          },
        });
        await record(actor, app, purpose, { action: "APPLY", application: application.id, agency, scopes: agencyScopes, pendingScopes: conditional, legalBasis, scenario, durationDays: input.durationDays });
        // The platform grants unconditional data on a complete application; the agency sees it on its list.
        if (unconditional.length > 0) await grant(application, unconditional, null);
        filed.push(applicationView(application));
      }
      return filed;
    },

    async approveApplication(actor: Actor, id: string): Promise<ApplicationView> {
      const application = await pendingApplication(id, actor);
      const decided = await prisma.governanceApplication.updateMany({
        where: { id, status: "PENDING" },
        data: { status: "APPROVED", decidedAt: now(), decidedBy: actor.app },
      });
      if (decided.count === 0) throw new BadUserInputError("The application was decided meanwhile");
      await grant(application, application.pendingScopes, actor);
      return applicationView((await prisma.governanceApplication.findUnique({ where: { id } }))!);
    },

    async refuseApplication(actor: Actor, id: string, reason: unknown): Promise<ApplicationView> {
      const why = requireText("reason", reason);
      const application = await pendingApplication(id, actor);
      const decided = await prisma.governanceApplication.updateMany({
        where: { id, status: "PENDING" },
        data: { status: "REFUSED", decidedAt: now(), decidedBy: actor.app, reason: why },
      });
      if (decided.count === 0) throw new BadUserInputError("The application was decided meanwhile");
      await record(actor, application.app, application.purpose, { action: "REFUSE", reason: why, application: id, agency: application.agency, scopes: application.pendingScopes });
      return applicationView((await prisma.governanceApplication.findUnique({ where: { id } }))!);
    },

    async revokeGrant(actor: Actor, id: string, reason: unknown): Promise<GrantView> {
      const why = requireText("reason", reason);
      const found = await prisma.governanceGrant.findUnique({ where: { id } });
      if (!found) throw new BadUserInputError("No such grant");
      if (!isApproverOf(actor, found.agency)) throw forbidden(`Only ${found.agency}'s approvers (${approverScopeOf(found.agency)}) revoke this grant`);
      const revoked = await prisma.governanceGrant.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now(), revokedBy: actor.app, revokeReason: why } });
      if (revoked.count === 0) throw new BadUserInputError("The grant is already revoked");
      await options.changed(found.app, found.purpose);
      await record(actor, found.app, found.purpose, { action: "REVOKE", reason: why, grant: id, agency: found.agency, scopes: found.scopes });
      return grantView((await prisma.governanceGrant.findUnique({ where: { id } }))!);
    },

    async applications(actor: Actor, filter: { agency?: string | null; app?: string | null; status?: string | null } = {}): Promise<ApplicationView[]> {
      const rows = await prisma.governanceApplication.findMany({
        where: {
          AND: [visibility(actor), filter.agency ? { agency: filter.agency } : {}, filter.app ? { app: filter.app } : {}, filter.status ? { status: filter.status } : {}],
        },
        orderBy: { appliedAt: "desc" },
        take: 500,
      });
      return rows.map(applicationView);
    },

    async grants(actor: Actor, filter: { agency?: string | null; app?: string | null; purpose?: string | null; activeOnly?: boolean | null } = {}): Promise<GrantView[]> {
      const rows = await prisma.governanceGrant.findMany({
        where: {
          AND: [
            visibility(actor),
            filter.agency ? { agency: filter.agency } : {},
            filter.app ? { app: filter.app } : {},
            filter.purpose ? { purpose: filter.purpose } : {},
            filter.activeOnly ? { revokedAt: null, expiresAt: { gt: now() } } : {},
          ],
        },
        orderBy: { grantedAt: "desc" },
        take: 500,
      });
      return rows.map(grantView);
    },

    /** Who read an agency's data: reads and denials per app, purpose, field and day (or hour), from the audit log. */
    async usage(actor: Actor, input: { agency: string; since?: Date | null; until?: Date | null; bucket?: "DAY" | "HOUR" | null }) {
      if (!catalog.agencies.includes(input.agency)) throw new BadUserInputError(`No agency ${input.agency} in the catalog`);
      if (!isApproverOf(actor, input.agency) && !actor.scopes.has("audit:read") && !isAdmin(actor)) {
        throw forbidden(`Usage of ${input.agency}'s data is for its approvers (${approverScopeOf(input.agency)}) and auditors (audit:read)`);
      }
      const until = input.until ?? now();
      const since = input.since ?? new Date(until.getTime() - 30 * 86_400_000);
      const fields = catalog.fields.filter((f) => f.agency === input.agency).map((f) => f.coordinate);
      const bucket = input.bucket === "HOUR" ? "hour" : "day";
      const rows = await prisma.$queryRawUnsafe<Array<{ app: string | null; purpose: string | null; field: string; period: Date; reads: number; denials: number }>>(
        `SELECT app, purpose, field, date_trunc('${bucket}', time) AS period,
                sum(granted)::int AS reads, sum(denied)::int AS denials
           FROM (SELECT app, purpose, time, unnest(granted_fields) AS field, 1 AS granted, 0 AS denied
                   FROM audit_record WHERE time >= $1 AND time < $2
                 UNION ALL
                 SELECT app, purpose, time, unnest(denied_fields) AS field, 0 AS granted, 1 AS denied
                   FROM audit_record WHERE time >= $1 AND time < $2) AS uses
          WHERE field = ANY($3::text[])
          GROUP BY 1, 2, 3, 4
          ORDER BY 4 DESC, 1, 2, 3
          LIMIT 5000`,
        since,
        until,
        fields,
      );
      return rows.map((row) => ({ ...row, app: row.app ?? "", purpose: row.purpose ?? "", period: new Date(row.period) }));
    },

    /** Records the expiry of grants past their time, once each across gateway processes. @returns how many expired */
    async expireDue(): Promise<number> {
      const due = await prisma.governanceGrant.updateManyAndReturn({
        where: { revokedAt: null, expiryRecordedAt: null, expiresAt: { lte: now() } },
        data: { expiryRecordedAt: now() },
      });
      for (const row of due) {
        await record(null, row.app, row.purpose, { action: "EXPIRE", grant: row.id, agency: row.agency, scopes: row.scopes, expiresAt: row.expiresAt.toISOString() });
        await options.changed(row.app, row.purpose);
      }
      return due.length;
    },
  };
}

export type Governance = ReturnType<typeof createGovernance>;
