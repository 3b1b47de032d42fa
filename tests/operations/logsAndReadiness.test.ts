/**
 * What an operator sees: JSON log lines from the gateway and the agencies,
 * correlated by one request id that the app also gets back; internal errors
 * logged with their stack and never sent; `/ready` with each agency's state.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../platform/EnvReader.ts";
import { createLogger } from "../../platform/logging/createLogger.ts";
import { readGatewayConfig } from "../../gateway/config.ts";
import { startGateway } from "../../gateway/createGateway.ts";
import { gatewayConfigFor } from "../security/support/hostile.ts";
import { postGraphQL } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const LI_WEI = "140105198605150031";

interface LogLine {
  level: string;
  service: string;
  msg: string;
  requestId?: string;
  err?: { message: string; stack: string };
  [key: string]: unknown;
}

const lines: LogLine[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split("\n")) if (line) lines.push(JSON.parse(line) as LogLine);
    done();
  },
});

let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "ops-logs", logger: createLogger({ service: "test", level: "debug", destination: capture }) });
});

afterAll(async () => {
  await system?.stop();
});

/** Waits until the lines written so far satisfy `found` (pino writes asynchronously to the stream). */
async function linesWhere(found: (line: LogLine) => boolean, count = 1): Promise<LogLine[]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const matching = lines.filter(found);
    if (matching.length >= count) return matching;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return lines.filter(found);
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

describe("logs", () => {
  it("carry one request id through the gateway, the agencies and the audit record, and the app gets it back", async () => {
    const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`);
    expect(result.body.errors).toBeUndefined();
    const requestId = result.headers.get("x-request-id")!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);

    const gatewayLines = await linesWhere((line) => line.service === "gateway" && line.requestId === requestId);
    expect(gatewayLines.map((line) => line.msg)).toContain("request");
    const agencyLines = await linesWhere((line) => line.requestId === requestId && line.service !== "gateway", 2);
    expect(new Set(agencyLines.map((line) => line.service))).toEqual(new Set(["civil-affairs", "housing-fund"]));

    const record = await system.gateway.audit.database.prisma.auditRecord.findFirst({ where: { requestId } });
    expect(record?.outcome).toBe("ALLOWED");
  });

  it("an app cannot choose the gateway's request id", async () => {
    const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name } }`, undefined, { "x-request-id": "chosen-by-the-app" });
    expect(result.headers.get("x-request-id")).not.toBe("chosen-by-the-app");
  });

  it("an internal error is logged with its stack and the request id, and the app sees only INTERNAL_SERVER_ERROR", async () => {
    const tax = system.subgraphs.get("tax")!;
    system.subgraphs.delete("tax");
    await tax.database.close(); // the agency's database driver now fails every query
    const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name incomeRecord(year: 2025) { totalIncome } } }`);
    const requestId = result.headers.get("x-request-id")!;
    expect(result.body.data.citizen.name).toBe("李伟");
    const error = result.body.errors!.find((e) => e.path?.join(".") === "citizen.incomeRecord")!;
    expect(error.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(JSON.stringify(result.body)).not.toMatch(/stack|at .*\.ts|prisma|pglite/i);

    const [logged] = await linesWhere((line) => line.service === "tax" && line.requestId === requestId && line.level === "error");
    expect(logged?.err?.stack).toMatch(/\n\s+at /);
    // Its database is closed already, so only its server is left to stop.
    await tax.stop().catch((error: Error) => expect(error.message).toMatch(/closed|end on pool/));
  });
});

describe("/ready", () => {
  it("is ready with every agency up, with each one's latency; /health stays liveness", async () => {
    const ready = await getJson(system.gatewayUrl.replace(/\/graphql$/, "/ready"));
    expect(ready.body.checks).toEqual({ supergraph: true, keys: true, auditWritable: true });
    expect(Object.keys(ready.body.agencies).sort()).toEqual(["civil-affairs", "credit", "housing-fund", "real-estate", "tax"]);
    for (const agency of ["civil-affairs", "credit", "housing-fund", "real-estate"]) {
      expect(ready.body.agencies[agency].state).toBe("up");
      expect(typeof ready.body.agencies[agency].latencyMs).toBe("number");
    }
    expect(ready.status).toBe(200);
    expect((await getJson(system.gatewayUrl.replace(/\/graphql$/, "/health"))).status).toBe(200);
  });

  it("a down agency is degraded, not unready; an audit database that cannot take writes is unready (503)", async () => {
    await system.subgraphs.get("credit")!.stop();
    system.subgraphs.delete("credit");
    // Named explicitly: left out, credit would get the supergraph's default URL, where another
    // checkout's `npm start` may well be serving (the cause of this case's earlier failures).
    const gateway = await startGateway(gatewayConfigFor(system, { subgraphUrls: { credit: "http://127.0.0.1:9/graphql" } }));
    try {
      const readyUrl = gateway.url.replace(/\/graphql$/, "/ready");
      const degraded = await getJson(readyUrl);
      expect(degraded.status).toBe(200);
      expect(degraded.body.status).toBe("degraded");
      expect(degraded.body.agencies.credit).toEqual({ state: "down", latencyMs: null });

      await gateway.audit.database.close();
      // Reports are reused for a second, so load-balancer probes cost no fan-out each: ask until it shows.
      let unready = await getJson(readyUrl);
      for (let attempt = 0; attempt < 50 && unready.status === 200; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        unready = await getJson(readyUrl);
      }
      expect(unready.status).toBe(503);
      expect(unready.body.status).toBe("not-ready");
      expect(unready.body.checks.auditWritable).toBe(false);
    } finally {
      await gateway.stop().catch(() => {});
    }
  });
});

describe("a down agency", () => {
  // After the case above, the credit agency of the shared system is stopped.
  it("is logged once by the gateway with the request id; the app sees only SUBGRAPH_UNAVAILABLE", async () => {
    const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name creditReport { score } } }`);
    const requestId = result.headers.get("x-request-id")!;
    expect(result.body.data.citizen.name).toBe("李伟");
    expect(result.body.errors!.map((e) => e.extensions?.code)).toEqual(["SUBGRAPH_UNAVAILABLE"]);
    expect(JSON.stringify(result.body)).not.toMatch(/stack|ECONNREFUSED|127\.0\.0\.1/i);
    const logged = await linesWhere((line) => line.service === "gateway" && line.requestId === requestId && line.msg === "agency fetch failed");
    expect(logged).toHaveLength(1);
    expect(logged[0]!.subgraph).toBe("credit");
    expect(logged[0]!.err?.stack).toMatch(/\n\s+at /);
  });
});

describe("LOG_LEVEL", () => {
  it("is checked with the rest of the configuration", () => {
    expect(() => readGatewayConfig({ LOG_LEVEL: "loud" })).toThrow(ConfigError);
    expect(() => readGatewayConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
    expect(readGatewayConfig({ LOG_LEVEL: "warn" }).observability.logLevel).toBe("warn");
  });
});
