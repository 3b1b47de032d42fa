/**
 * Issue 9, item 5: the standard's scalars are checked whatever their form,
 * literal or variable, before any agency is asked, and nothing the client
 * sent is echoed back (an id-shaped value may be named).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSystem, type System } from "../support/startSystem.ts";
import { LI_WEI, codes, send, token } from "./support/hostile.ts";
import { recordsOfToken } from "./support/records.ts";

let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "security-scalars" });
});

afterAll(async () => {
  await system?.stop();
});

const SCRIPT = "<script>alert(1)</script>";

/** Sends with a fresh token and returns the response and its one audit record. */
async function sendAlone(query: string, variables?: Record<string, unknown>) {
  const fresh = await token(system, { subject: "app:scalar-variables" });
  const result = await send(system.gatewayUrl, query, { token: fresh, variables });
  const [record, ...more] = await recordsOfToken(system, fresh);
  expect(more).toEqual([]);
  return { result, record: record! };
}

describe("scalars are checked as variables before any agency is asked (issue 9, item 5)", () => {
  it("a Money variable holding markup is 400 BAD_USER_INPUT, not echoed, and no agency is asked", async () => {
    const { result, record } = await sendAlone(`query($m: Money!) { citizen(id: "${LI_WEI}") { incomeAtLeast(year: 2025, amount: $m) } }`, { m: SCRIPT });
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.text).not.toContain("script");
    expect(result.body.data ?? null).toBeNull();
    expect(record.subgraphs).toEqual([]);
    expect(record.dataReleased).toBe(false);
  });

  it("a non-canonical Money variable (\"1.5\") is refused the same way", async () => {
    const { result, record } = await sendAlone(`query($m: Money!) { citizen(id: "${LI_WEI}") { incomeAtLeast(year: 2025, amount: $m) } }`, { m: "1.5" });
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.text).not.toContain("1.5");
    expect(record.subgraphs).toEqual([]);
  });

  it("a Money literal holding markup is refused and not echoed", async () => {
    const { result, record } = await sendAlone(`{ citizen(id: "${LI_WEI}") { incomeAtLeast(year: 2025, amount: "${SCRIPT}") } }`);
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.text).not.toContain("script");
    expect(record.subgraphs).toEqual([]);
  });

  it("a resident id variable that is not one is refused before civil affairs is asked; an id-shaped value is named", async () => {
    const bad = LI_WEI.slice(0, 17) + (LI_WEI[17] === "2" ? "3" : "2");
    const { result, record } = await sendAlone(`query($id: ID!) { citizen(id: $id) { name } }`, { id: bad });
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.body.errors![0]!.message).toContain(bad);
    expect(record.subgraphs).toEqual([]);
  });

  it("markup as a resident id variable is refused and not echoed", async () => {
    const { result, record } = await sendAlone(`query($ids: [ID!]!) { citizens(ids: $ids) { name } }`, { ids: [LI_WEI, SCRIPT] });
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.text).not.toContain("script");
    expect(record.subgraphs).toEqual([]);
  });

  it("a variable of the wrong type is refused without echoing it", async () => {
    const { result } = await sendAlone(`query($y: Int!) { citizen(id: "${LI_WEI}") { incomeAtLeast(year: $y, amount: "1.00") } }`, { y: SCRIPT });
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.text).not.toContain("script");
  });

  it("a valid Money variable still answers", async () => {
    const { result } = await sendAlone(`query($m: Money!) { citizen(id: "${LI_WEI}") { incomeAtLeast(year: 2025, amount: $m) } }`, { m: "100000.00" });
    expect(result.status).toBe(200);
    expect(result.body.data.citizen.incomeAtLeast).toBe(true);
  });
});
