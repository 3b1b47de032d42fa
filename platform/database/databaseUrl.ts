/**
 * Where a service's database lives: `<NAME>_DATABASE_URL` wins, then
 * `DATABASE_URL` (a server URL whose database name is replaced by the
 * service's own), else the embedded PGlite under `DATA_DIR`.
 */

/** A database location: an embedded PGlite directory or a PostgreSQL server URL. */
export type DatabaseLocation =
  | { kind: "pglite"; dataDir: string }
  | { kind: "postgres"; url: string; databaseName: string };

/** The PostgreSQL database name of a service, e.g. `real-estate` → `real_estate`. */
export function databaseNameOf(service: string): string {
  return service.replace(/-/g, "_");
}

/** The environment variable that overrides one service's database, e.g. `REAL_ESTATE_DATABASE_URL`. */
export function databaseUrlVariableOf(service: string): string {
  return `${databaseNameOf(service).toUpperCase()}_DATABASE_URL`;
}

/** Replaces the database name in a server URL. @throws when the URL is not postgresql:// */
export function withDatabaseName(serverUrl: string, databaseName: string): string {
  const url = new URL(serverUrl);
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new Error(`not a postgresql:// URL: ${url.protocol}`);
  }
  url.pathname = `/${databaseName}`;
  return url.toString();
}
