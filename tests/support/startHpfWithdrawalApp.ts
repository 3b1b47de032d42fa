/**
 * Starts the withdrawal app (apps/hpf-withdrawal) on loopback port 0 against
 * a test system's gateway, and a visitor that keeps its session cookie as a
 * browser would.
 */
import type { Server } from "node:http";
import { listen } from "../../platform/http/createGraphQLHttpServer.ts";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { createHpfWithdrawalApp } from "../../apps/hpf-withdrawal/createHpfWithdrawalApp.ts";
import { HPF_APP_ID, HPF_PURPOSE } from "../../apps/hpf-withdrawal/config.ts";
import { DECISION_SCOPES } from "../../apps/hpf-withdrawal/createTokenSource.ts";
import type { System } from "./startSystem.ts";
import type { TestGrant } from "./testGrants.ts";

/** The withdrawal app's grant: only the scopes its rule needs, as `npm start` grants it. */
export const HPF_MINIMUM_GRANT: TestGrant = { app: HPF_APP_ID, purpose: HPF_PURPOSE, scopes: DECISION_SCOPES };

export interface RunningApp {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

export async function startHpfWithdrawalApp(system: System): Promise<RunningApp> {
  const app = await createHpfWithdrawalApp({
    gatewayUrl: system.gatewayUrl,
    tokenKeyPath: system.keys.issuerPrivate,
    tokenIssuer: DEV_TOKEN_ISSUER,
    tokenAudience: DEFAULT_TOKEN_AUDIENCE,
  });
  const url = await listen(app.server, 0, "127.0.0.1", "/");
  return {
    url,
    server: app.server,
    stop: async () => {
      app.server.closeAllConnections();
      await new Promise<void>((resolve) => app.server.close(() => resolve()));
    },
  };
}

/** One browser's worth of session: its cookie, JSON in and out. */
export class Visitor {
  private cookie = "";
  constructor(private readonly baseUrl: string) {}

  async request(path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method: body === undefined ? "GET" : "POST",
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0]!;
    return { status: response.status, body: await response.json() };
  }

  /** Signs in as `citizenId` and consents. */
  async signInAndConsent(citizenId: string): Promise<void> {
    const signIn = await this.request("/api/sign-in", { citizenId });
    if (signIn.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(signIn.body)}`);
    const consent = await this.request("/api/consent", { agree: true });
    if (consent.status !== 200) throw new Error(`consent failed: ${JSON.stringify(consent.body)}`);
  }
}
