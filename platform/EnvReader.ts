/**
 * Reads configuration variables, collecting every problem so that one error
 * names all bad variables at once. Each service's `config.ts` is the only
 * caller, and the only reader of `process.env`.
 */
import { resolve } from "node:path";
import { databaseNameOf, databaseUrlVariableOf, withDatabaseName, type DatabaseLocation } from "./database/databaseUrl.ts";

/** Thrown when configuration is invalid; the message lists every bad variable. */
export class ConfigError extends Error {
  constructor(service: string, problems: string[]) {
    super(`invalid configuration for ${service}:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** A string, or `fallback` when unset or empty. */
  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === "" ? fallback : value;
  }

  /** An optional string; undefined when unset or empty. */
  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === "" ? undefined : value;
  }

  /** An integer within [min, max]. */
  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  }

  /** A TCP port; 0 asks the OS for a free one. */
  port(name: string, fallback: number): number {
    return this.integer(name, fallback, 0, 65535);
  }

  /** `true`/`false`/`1`/`0`. */
  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === "") return fallback;
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0") return false;
    this.problems.push(`${name} must be true or false, got ${JSON.stringify(raw)}`);
    return fallback;
  }

  /** An http(s) URL. */
  httpUrl(name: string, fallback: string): string {
    const value = this.string(name, fallback);
    try {
      const url = new URL(value);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
    } catch {
      this.problems.push(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  /**
   * Where service `service` keeps its data: `<NAME>_DATABASE_URL`, else its own
   * database on the `DATABASE_URL` server, else PGlite under `DATA_DIR/<service>`.
   */
  database(service: string): DatabaseLocation {
    const own = this.optional(databaseUrlVariableOf(service));
    const server = this.optional("DATABASE_URL");
    if (own) return this.postgres(databaseUrlVariableOf(service), own, (url) => url.pathname.slice(1) || databaseNameOf(service));
    if (server) return this.postgres("DATABASE_URL", server, () => databaseNameOf(service));
    return { kind: "pglite", dataDir: resolve(this.string("DATA_DIR", ".data"), service) };
  }

  private postgres(variable: string, url: string, nameOf: (url: URL) => string): DatabaseLocation {
    try {
      const databaseName = decodeURIComponent(nameOf(new URL(url)));
      return { kind: "postgres", url: withDatabaseName(url, databaseName), databaseName };
    } catch {
      this.problems.push(`${variable} must be a postgresql:// URL`);
      return { kind: "postgres", url, databaseName: "invalid" };
    }
  }

  /** Records a problem found by the caller's own checks. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** @throws ConfigError naming every problem found so far */
  finish(service: string): void {
    if (this.problems.length > 0) throw new ConfigError(service, this.problems);
  }
}
