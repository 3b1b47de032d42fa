import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isEmptyMigration, planMigration, writeMigration } from "../../scripts/nextMigration.ts";

const folder = () => mkdtempSync(join(tmpdir(), "migrations-"));

describe("planMigration", () => {
  it("plans 0001_init for an agency with no migrations", () => {
    expect(planMigration(join(folder(), "missing"))).toEqual({ kind: "first" });
  });

  it("plans the next number from the latest folder's schema snapshot", () => {
    const dir = folder();
    for (const name of ["0001_init", "0002_add_note"]) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "schema.prisma"), name);
    }
    expect(planMigration(dir)).toEqual({ kind: "next", number: 3, fromSnapshot: join(dir, "0002_add_note", "schema.prisma") });
  });

  it("leaves hand-written migrations alone (no snapshot in the latest folder)", () => {
    const dir = folder();
    mkdirSync(join(dir, "0001_init"));
    writeFileSync(join(dir, "0001_init", "schema.prisma"), "x");
    mkdirSync(join(dir, "0002_triggers"));
    expect(planMigration(dir)).toEqual({ kind: "hand-written", latest: "0002_triggers" });
  });
});

describe("writeMigration", () => {
  it("writes the SQL and the schema it brings the database to", () => {
    const dir = folder();
    const schema = join(dir, "schema.prisma");
    writeFileSync(schema, "model A { id Int @id }");
    expect(writeMigration(dir, 2, "add_note", "ALTER TABLE a ADD COLUMN note text;", schema)).toBe("0002_add_note");
    expect(readFileSync(join(dir, "0002_add_note", "migration.sql"), "utf8")).toContain("ADD COLUMN note");
    expect(readFileSync(join(dir, "0002_add_note", "schema.prisma"), "utf8")).toBe("model A { id Int @id }");
  });

  it("refuses a name that is not snake_case", () => {
    expect(() => writeMigration(folder(), 2, "Add-Note", "", "x")).toThrow(/snake_case/);
  });
});

describe("isEmptyMigration", () => {
  it("tells prisma's empty diff from a real one", () => {
    expect(isEmptyMigration("-- This is an empty migration.\n")).toBe(true);
    expect(isEmptyMigration('-- AlterTable\nALTER TABLE "t" ADD COLUMN "c" TEXT;\n')).toBe(false);
  });
});
