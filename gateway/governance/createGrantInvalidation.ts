/**
 * Tells every gateway process that the grants of an (app, purpose) changed,
 * so each drops its cached copy: Redis pub/sub when REDIS_URL is set,
 * PostgreSQL LISTEN/NOTIFY on the gateway's database otherwise, and
 * in-process only on the embedded PGlite (one process owns that database).
 * The process that made the change invalidates its own cache at once.
 */
import { Redis } from "ioredis";
import pg from "pg";
import type { DatabaseLocation } from "../../platform/database/databaseUrl.ts";

export interface GrantInvalidation {
  /** Which mechanism carries the messages. */
  kind: "redis" | "postgres" | "local";
  /** Announces a change of one pair's grants (and applies it here). */
  publish(app: string, purpose: string): Promise<void>;
  close(): Promise<void>;
}

export interface GrantInvalidationOptions {
  redisUrl: string | undefined;
  database: DatabaseLocation;
  /** Called for every change, this process's and others'. */
  onInvalidate(app: string, purpose: string): void;
  /** Called when messages may have been missed (a dropped connection): drop everything. */
  onReset(): void;
  log?(message: string, error: unknown): void;
}

const CHANNEL = "governance_grants";

function encode(app: string, purpose: string): string {
  return JSON.stringify([app, purpose]);
}

function decode(payload: string): [string, string] | null {
  try {
    const value = JSON.parse(payload);
    return Array.isArray(value) && typeof value[0] === "string" && typeof value[1] === "string" ? [value[0], value[1]] : null;
  } catch {
    return null;
  }
}

export async function createGrantInvalidation(options: GrantInvalidationOptions): Promise<GrantInvalidation> {
  const log = options.log ?? ((message, error) => console.error(`governance: ${message}:`, error instanceof Error ? error.message : error));
  const receive = (payload: string) => {
    const pair = decode(payload);
    if (pair) options.onInvalidate(pair[0], pair[1]);
  };

  if (options.redisUrl) {
    // One channel per gateway database: deployments sharing a Redis do not hear each other.
    const channel = `${CHANNEL}:${options.database.kind === "postgres" ? options.database.databaseName : "embedded"}`;
    const subscriber = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    const publisher = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    subscriber.on("error", (error) => log("redis subscriber", error));
    publisher.on("error", (error) => log("redis publisher", error));
    // After a reconnect, messages sent meanwhile are lost: start afresh.
    subscriber.on("ready", () => options.onReset());
    subscriber.on("message", (_channel, payload: string) => receive(payload));
    await subscriber.connect();
    await subscriber.subscribe(channel);
    await publisher.connect();
    return {
      kind: "redis",
      async publish(app, purpose) {
        options.onInvalidate(app, purpose);
        await publisher.publish(channel, encode(app, purpose)).catch((error) => log("redis publish", error));
      },
      async close() {
        subscriber.disconnect();
        publisher.disconnect();
      },
    };
  }

  if (options.database.kind === "postgres") {
    const url = options.database.url;
    let listener: pg.Client | null = null;
    let closed = false;
    const listen = async (): Promise<void> => {
      const client = new pg.Client({ connectionString: url });
      client.on("notification", (message) => {
        if (message.channel === CHANNEL && message.payload) receive(message.payload);
      });
      client.on("error", (error) => {
        log("LISTEN connection lost", error);
        listener = null;
        options.onReset();
        client.end().catch(() => {});
        if (!closed) setTimeout(() => void listen().catch((e) => log("LISTEN reconnect", e)), 1_000).unref();
      });
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      listener = client;
      options.onReset();
    };
    await listen();
    const notifier = new pg.Pool({ connectionString: url, max: 1 });
    notifier.on("error", (error) => log("NOTIFY connection", error));
    return {
      kind: "postgres",
      async publish(app, purpose) {
        options.onInvalidate(app, purpose);
        await notifier.query("SELECT pg_notify($1, $2)", [CHANNEL, encode(app, purpose)]).catch((error) => log("NOTIFY", error));
      },
      async close() {
        closed = true;
        await listener?.end().catch(() => {});
        await notifier.end();
      },
    };
  }

  return {
    kind: "local",
    async publish(app, purpose) {
      options.onInvalidate(app, purpose);
    },
    async close() {},
  };
}
