/**
 * One query's trace, as an OTLP collector receives it: spans from the
 * gateway (request, plan, each agency fetch, audit commit) and from every
 * agency it touched (request, resolvers, SQL), all in the trace the app
 * started with its `traceparent`, each agency's request under the gateway's
 * fetch span.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTracing } from "../../platform/observability/createTracing.ts";
import { postGraphQL } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const LI_WEI = "140105198605150031";

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

const received: ReceivedSpan[] = [];
let receiver: Server;
let system: System;

/** An OTLP/HTTP receiver (JSON encoding) on loopback. */
async function startReceiver(): Promise<string> {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      expect(request.url).toBe("/v1/traces");
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        resourceSpans: Array<{
          resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
          scopeSpans: Array<{ spans: Array<Omit<ReceivedSpan, "service">> }>;
        }>;
      };
      for (const resourceSpans of body.resourceSpans) {
        const service = resourceSpans.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "?";
        for (const scope of resourceSpans.scopeSpans) for (const span of scope.spans) received.push({ ...span, service });
      }
      response.setHeader("content-type", "application/json");
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  system = await startSystem({ suite: "ops-traces", otlpEndpoint: await startReceiver() });
});

afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function spansOfTrace(traceId: string, until: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const spans = received.filter((span) => span.traceId === traceId);
    if (until(spans)) return spans;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return received.filter((span) => span.traceId === traceId);
}

describe("traces", () => {
  it("one query's trace spans the gateway and every agency it touched, down to resolvers and SQL", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } incomeRecord(year: 2025) { totalIncome } } }`, undefined, {
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    expect(result.body.errors).toBeUndefined();
    const touched = ["civil-affairs", "housing-fund", "tax"];
    const spans = await spansOfTrace(traceId, (found) => touched.every((agency) => found.some((s) => s.service === agency && s.name.startsWith("db "))) && found.some((s) => s.name === "audit.commit"));

    const gateway = spans.filter((span) => span.service === "gateway");
    const names = gateway.map((span) => span.name);
    expect(names).toContain("POST /graphql");
    expect(names).toContain("gateway.plan");
    expect(names).toContain("audit.commit");
    for (const agency of touched) expect(names).toContain(`fetch ${agency}`);

    for (const agency of touched) {
      const fetchSpan = gateway.find((span) => span.name === `fetch ${agency}`)!;
      const server = spans.find((span) => span.service === agency && span.name === "POST /graphql");
      expect(server?.parentSpanId, `${agency}'s request continues the gateway's fetch`).toBe(fetchSpan.spanId);
      const own = spans.filter((span) => span.service === agency);
      expect(own.some((span) => span.name.startsWith("resolve "))).toBe(true);
      expect(own.some((span) => span.name.startsWith("db "))).toBe(true);
    }
    // Agencies not asked are not in the trace.
    expect(spans.some((span) => span.service === "credit" || span.service === "real-estate")).toBe(false);
  });

  it("a request its caller did not sample is answered in full and leaves no span anywhere", async () => {
    const traceId = "5c0a2f3577b34da6a3ce929d0e0e4737";
    const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`, undefined, {
      traceparent: `00-${traceId}-00f067aa0ba902b8-00`,
    });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data?.citizen?.name).toBeTruthy();
    // A sampled request after it: once its spans are in, the unsampled one's would have been too.
    const sampledId = "6d1b2f3577b34da6a3ce929d0e0e4738";
    await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`, undefined, {
      traceparent: `00-${sampledId}-00f067aa0ba902b9-01`,
    });
    const sampled = await spansOfTrace(sampledId, (found) => found.some((s) => s.name === "audit.commit") && found.some((s) => s.service === "housing-fund"));
    expect(sampled.map((span) => span.name)).toContain("gateway.execute");
    expect(received.filter((span) => span.traceId === traceId)).toEqual([]);
  });

  it("without OTEL_EXPORTER_OTLP_ENDPOINT nothing is recorded", () => {
    const tracing = createTracing({ service: "gateway", otlpEndpoint: undefined });
    expect(tracing.enabled).toBe(false);
    expect(tracing.tracer.startSpan("x").isRecording()).toBe(false);
  });
});
