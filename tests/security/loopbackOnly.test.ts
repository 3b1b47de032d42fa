/**
 * Nothing reaches beyond loopback: starting the system and answering a query
 * opens no connection and looks up no host name outside 127.0.0.1 / ::1.
 * (@apollo/gateway, left to itself, starts a metrics exporter to Apollo's
 * servers and probes cloud metadata endpoints when it is constructed.)
 */
import dns from "node:dns";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSystem, type System } from "../support/startSystem.ts";
import { LI_WEI, send, token } from "./support/hostile.ts";

const outbound: string[] = [];
const isLoopback = (host: unknown) => host === undefined || host === "localhost" || host === "::1" || (typeof host === "string" && host.startsWith("127."));

const originalConnect = net.Socket.prototype.connect;
const originalLookup = dns.lookup;
let system: System;

beforeAll(async () => {
  // Record every TCP connection and name lookup the process makes from here on.
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = args[0] as { host?: string; path?: string } | number | string;
    const host = typeof first === "object" && first !== null ? (first.path ? undefined : first.host) : typeof first === "number" ? (args[1] as string | undefined) : undefined;
    if (!isLoopback(host)) outbound.push(`connect ${String(host)}`);
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  (dns as { lookup: unknown }).lookup = function (hostname: string, ...rest: unknown[]) {
    if (!isLoopback(hostname)) outbound.push(`lookup ${hostname}`);
    return (originalLookup as (...a: unknown[]) => unknown)(hostname, ...rest);
  };
  system = await startSystem({ suite: "security-loopback" });
});

afterAll(async () => {
  net.Socket.prototype.connect = originalConnect;
  (dns as { lookup: unknown }).lookup = originalLookup;
  await system?.stop();
});

describe("loopback only", () => {
  it("starts, answers a one-stop query and reaches nothing beyond loopback", async () => {
    const result = await send(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name } }`, { token: await token(system) });
    expect(result.status).toBe(200);
    // Give any background exporter or metadata probe time to try.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(outbound).toEqual([]);
  });
});
