import { describe, expect, it } from "vitest";
import { birthDateOfResidentId, genderOfResidentId, isResidentId } from "../../platform/standard/residentId.ts";
import {
  generatedCitizen,
  generatedCitizenId,
  homeCertificateOf,
  homeOwnersOf,
  spouseIndexOf,
} from "../../subgraphs/shared/syntheticPopulation.ts";

const COUNT = 20_000;
const indexes = Array.from({ length: COUNT }, (_, i) => i);
/** Every id the demo seed writes (the standard's four and 张敏's former wife). */
const DEMO_IDS = ["140105198605150031", "140105198803120028", "330106197501050017", "14010519650909005X", "330106197708120043"];

describe("the synthetic population", () => {
  const ids = indexes.map(generatedCitizenId);

  it(`gives valid resident ids to the first ${COUNT} citizens`, () => {
    const invalid = ids.filter((id) => !isResidentId(id));
    expect(invalid).toEqual([]);
  });

  it(`gives distinct ids to the first ${COUNT} citizens`, () => {
    expect(new Set(ids).size).toBe(COUNT);
  });

  it("never generates a demo citizen's id", () => {
    const generated = new Set(ids);
    for (const id of DEMO_IDS) expect(generated.has(id), id).toBe(false);
  });

  it("is deterministic", () => {
    expect(generatedCitizenId(12_345)).toBe(generatedCitizenId(12_345));
    expect(generatedCitizen(777)).toEqual(generatedCitizen(777));
  });

  it("gives each citizen a gender and birth date that agree with the id", () => {
    for (const index of [0, 1, 2, 999, 1000, 1001, 19_999]) {
      const citizen = generatedCitizen(index);
      expect(citizen.id).toBe(generatedCitizenId(index));
      expect(citizen.gender).toBe(genderOfResidentId(citizen.id));
      expect(citizen.birthDate.toISOString().slice(0, 10)).toBe(birthDateOfResidentId(citizen.id));
      expect(citizen.name.length).toBeGreaterThan(1);
    }
  });

  it("makes the spouse relation symmetric and irreflexive", () => {
    let married = 0;
    for (const index of indexes) {
      const spouse = spouseIndexOf(index);
      if (spouse === null) continue;
      married++;
      expect(spouse).not.toBe(index);
      expect(spouseIndexOf(spouse), `spouse of ${spouse}`).toBe(index);
    }
    expect(married).toBeGreaterThan(0);
  });

  it("lists the first owner among a home's owners, and the home under each owner", () => {
    let homes = 0;
    for (const index of indexes) {
      const owners = homeOwnersOf(index);
      if (owners === null) continue;
      homes++;
      expect(owners).toContain(index);
      for (const owner of owners) expect(homeCertificateOf(owner), `owner ${owner}`).toBe(homeCertificateOf(index));
    }
    expect(homes).toBeGreaterThan(0);
  });

  it("writes every citizen's home exactly once, with that citizen among its owners", () => {
    const written = new Map<string, number[]>();
    for (const index of indexes) {
      const owners = homeOwnersOf(index);
      if (owners === null) continue;
      const certificate = homeCertificateOf(index)!;
      expect(written.has(certificate), certificate).toBe(false);
      written.set(certificate, owners);
    }
    for (const index of indexes) {
      const certificate = homeCertificateOf(index);
      if (certificate === null) continue;
      expect(written.get(certificate), `home of ${index}`).toContain(index);
    }
  });
});
