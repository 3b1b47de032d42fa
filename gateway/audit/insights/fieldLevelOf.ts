/**
 * The classification level (L1 public … L4 sensitive personal) of the field
 * coordinates the audit log records, from the catalog's `@classification`
 * in the supergraph (gateway/governance/readCatalog.ts). Fields that are not
 * agency data (the audit log's own) have none and are left out of the
 * per-level counts.
 */
import { readCatalog, type DataLevel } from "../../governance/readCatalog.ts";

export type FieldLevel = DataLevel;

export const FIELD_LEVELS: readonly FieldLevel[] = ["L1", "L2", "L3", "L4"];

/** Looks up a coordinate's level; null when the catalog does not classify it. */
export type FieldLevelOf = (coordinate: string) => FieldLevel | null;

/** @returns the level lookup of a supergraph SDL */
export function fieldLevelsOf(supergraphSdl: string): FieldLevelOf {
  const levels = new Map(readCatalog(supergraphSdl).fields.map((field) => [field.coordinate, field.level]));
  return (coordinate) => levels.get(coordinate) ?? null;
}
