/**
 * The audit chain's canonical form and hash, and how hostile text is made
 * inert before it is stored.
 */
import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../../gateway/audit/AuditEntry.ts";
import { GENESIS_HASH, canonicalAuditRecord, chainHash } from "../../gateway/audit/auditChain.ts";
import { sanitizeAuditText } from "../../gateway/audit/sanitizeAuditText.ts";

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    time: new Date("2026-01-02T03:04:05.678Z"),
    requestId: "5b0c1d3e-0000-4000-8000-000000000001",
    app: "app:unit",
    tokenId: "jti-1",
    purpose: "UNIT_TEST",
    operationName: "Op",
    operationHash: "a".repeat(64),
    citizens: ["p1", "p2"],
    requestedFields: ["Citizen.name", "HousingFundAccount.balance"],
    grantedFields: ["Citizen.name"],
    deniedFields: ["HousingFundAccount.balance"],
    outcome: "PARTIAL",
    dataReleased: true,
    errorCodes: ["FORBIDDEN"],
    subgraphs: ["civil-affairs"],
    latencyMs: 12,
    clientAddress: "127.0.0.1",
    ...overrides,
  };
}

/** One changed value per field of an entry. */
const changes: Array<[keyof AuditEntry, unknown]> = [
  ["time", new Date("2026-01-02T03:04:05.679Z")],
  ["requestId", "5b0c1d3e-0000-4000-8000-000000000002"],
  ["app", "app:unit2"],
  ["tokenId", "jti-2"],
  ["purpose", "UNIT_TESU"],
  ["operationName", null],
  ["operationHash", "b".repeat(64)],
  ["citizens", ["p1"]],
  ["requestedFields", ["Citizen.name"]],
  ["grantedFields", []],
  ["deniedFields", ["HousingFundAccount.balanceX"]],
  ["outcome", "ALLOWED"],
  ["dataReleased", false],
  ["errorCodes", []],
  ["subgraphs", ["civil-affairs", "housing-fund"]],
  ["latencyMs", 13],
  ["clientAddress", "127.0.0.2"],
];

describe("audit chain hash", () => {
  it("is deterministic: the same record and predecessor give the same canonical form and hash", () => {
    expect(canonicalAuditRecord(7n, entry())).toBe(canonicalAuditRecord(7n, entry()));
    expect(chainHash(GENESIS_HASH, 7n, entry())).toBe(chainHash(GENESIS_HASH, 7n, entry()));
    expect(chainHash(GENESIS_HASH, 7n, entry())).toMatch(/^[0-9a-f]{64}$/);
  });

  it("does not depend on the order the entry's properties were built in", () => {
    const reversed = Object.fromEntries(Object.entries(entry()).reverse()) as unknown as AuditEntry;
    expect(chainHash(GENESIS_HASH, 1n, reversed)).toBe(chainHash(GENESIS_HASH, 1n, entry()));
  });

  it("covers every field of the entry", () => {
    expect(changes.map(([field]) => field).sort()).toEqual(Object.keys(entry()).sort());
    const base = chainHash(GENESIS_HASH, 1n, entry());
    for (const [field, value] of changes) {
      expect(chainHash(GENESIS_HASH, 1n, entry({ [field]: value } as Partial<AuditEntry>)), field).not.toBe(base);
    }
  });

  it("covers the seq and the previous hash", () => {
    const base = chainHash(GENESIS_HASH, 1n, entry());
    expect(chainHash(GENESIS_HASH, 2n, entry())).not.toBe(base);
    expect(chainHash(`1${GENESIS_HASH.slice(1)}`, 1n, entry())).not.toBe(base);
  });

  it("keeps null and empty apart, and array boundaries apart", () => {
    expect(chainHash(GENESIS_HASH, 1n, entry({ purpose: null }))).not.toBe(chainHash(GENESIS_HASH, 1n, entry({ purpose: "" })));
    expect(chainHash(GENESIS_HASH, 1n, entry({ citizens: ["ab"] }))).not.toBe(chainHash(GENESIS_HASH, 1n, entry({ citizens: ["a", "b"] })));
    expect(chainHash(GENESIS_HASH, 1n, entry({ app: "a", tokenId: "b" }))).not.toBe(chainHash(GENESIS_HASH, 1n, entry({ app: "ab", tokenId: "" })));
  });

  it("is versioned", () => {
    expect(JSON.parse(canonicalAuditRecord(3n, entry()))[0]).toBe("audit-v1");
    expect(JSON.parse(canonicalAuditRecord(3n, entry({ verifications: [] })))[0]).toBe("audit-v1");
    expect(JSON.parse(canonicalAuditRecord(3n, entry({ governance: { action: "GRANT", actor: "system" } })))[0]).toBe("audit-v2");
  });

  it("covers verifications and governance actions, whatever order their keys came back from the database in", () => {
    const use = { coordinate: "TaxpayerProfile.incomeAtLeast", citizen: "p1", arguments: { year: 2025, amount: "100000.00" } };
    const withUse = chainHash(GENESIS_HASH, 1n, entry({ verifications: [use] }));
    expect(withUse).not.toBe(chainHash(GENESIS_HASH, 1n, entry()));
    expect(withUse).not.toBe(chainHash(GENESIS_HASH, 1n, entry({ verifications: [{ ...use, arguments: { year: 2025, amount: "100001.00" } }] })));
    const reordered = { arguments: { amount: "100000.00", year: 2025 }, citizen: "p1", coordinate: "TaxpayerProfile.incomeAtLeast" };
    expect(chainHash(GENESIS_HASH, 1n, entry({ verifications: [reordered] }))).toBe(withUse);
    const grant = chainHash(GENESIS_HASH, 1n, entry({ governance: { action: "REVOKE", actor: "u1", reason: "misuse" } }));
    expect(grant).not.toBe(chainHash(GENESIS_HASH, 1n, entry({ governance: { action: "REVOKE", actor: "u1", reason: "other" } })));
  });
});

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe("sanitizeAuditText", () => {
  it("keeps null and ordinary text", () => {
    expect(sanitizeAuditText(null)).toBeNull();
    expect(sanitizeAuditText(undefined)).toBeNull();
    expect(sanitizeAuditText("HOUSING_LOAN_REVIEW 住房贷款审核")).toBe("HOUSING_LOAN_REVIEW 住房贷款审核");
  });

  it.each([
    ["newlines", "a\nb\r\nc"],
    ["NUL", "a\u0000b"],
    ["ESC sequences", "\u001b[31mred\u001b[0m\u001b]0;title\u0007"],
    ["U+2028 and U+2029", "a\u2028b\u2029c"],
    ["C1 controls and DEL", "a\u0085b\u009bc\u007f"],
  ])("neutralises %s into visible escapes", (_name, hostile) => {
    const safe = sanitizeAuditText(hostile)!;
    expect(safe).not.toMatch(RAW_CONTROL);
    // Nothing is lost or interpreted: each control character becomes its \uXXXX escape.
    expect(safe).toBe(hostile.replace(new RegExp(RAW_CONTROL, "g"), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  });

  it("escapes a fake log line instead of starting one", () => {
    const safe = sanitizeAuditText("ok\n2026-01-01 ALLOWED app:forged")!;
    expect(safe.split("\n")).toHaveLength(1);
    expect(safe).toContain("\\u000a");
  });

  it("truncates megabyte strings to at most 200 characters", () => {
    for (const hostile of ["A".repeat(1_048_576), "\u0000".repeat(1_048_576), "\u001b[31m".repeat(200_000), "李".repeat(1_048_576)]) {
      const safe = sanitizeAuditText(hostile)!;
      expect(safe.length).toBeLessThanOrEqual(200);
      expect(safe.length).toBeGreaterThan(100);
      expect(safe).not.toMatch(RAW_CONTROL);
    }
  });

  it("honours a smaller limit and leaves text at the limit whole", () => {
    expect(sanitizeAuditText("x".repeat(200))).toBe("x".repeat(200));
    expect(sanitizeAuditText("x".repeat(201))!.length).toBeLessThanOrEqual(200);
    expect(sanitizeAuditText("1".repeat(1000), 64)!.length).toBeLessThanOrEqual(64);
    expect(sanitizeAuditText("\n".repeat(1000), 64)!).not.toMatch(RAW_CONTROL);
  });

  it("cannot be made to cut an escape into a raw control character", () => {
    for (let n = 190; n < 205; n++) {
      const safe = sanitizeAuditText(`${"x".repeat(n)}\u0000\u001b\n`)!;
      expect(safe.length).toBeLessThanOrEqual(200);
      expect(safe).not.toMatch(RAW_CONTROL);
    }
  });
});
