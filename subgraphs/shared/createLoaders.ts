/**
 * DataLoader factories for the two shapes every agency reads: one row per
 * key, and a list of rows per key. Batch functions return values in key
 * order, as DataLoader requires; a missing row is `null` or `[]`.
 */
import DataLoader from "dataloader";

/** A loader of at most one row per key. */
export function createRowLoader<Key, Row>(
  fetch: (keys: readonly Key[]) => Promise<Row[]>,
  keyOf: (row: Row) => Key,
  cacheKeyOf?: (key: Key) => unknown,
): DataLoader<Key, Row | null, unknown> {
  return new DataLoader<Key, Row | null, unknown>(
    async (keys) => {
      const rows = await fetch(keys);
      const byKey = new Map<unknown, Row>();
      for (const row of rows) byKey.set(cacheKeyOf ? cacheKeyOf(keyOf(row)) : keyOf(row), row);
      return keys.map((key) => byKey.get(cacheKeyOf ? cacheKeyOf(key) : key) ?? null);
    },
    { cacheKeyFn: cacheKeyOf, maxBatchSize: 1000 },
  );
}

/** A loader of every row per key, in the order `fetch` returns them. */
export function createListLoader<Key, Row>(
  fetch: (keys: readonly Key[]) => Promise<Row[]>,
  keyOf: (row: Row) => Key,
): DataLoader<Key, Row[]> {
  return new DataLoader<Key, Row[]>(
    async (keys) => {
      const rows = await fetch(keys);
      const byKey = new Map<Key, Row[]>();
      for (const row of rows) {
        const key = keyOf(row);
        const list = byKey.get(key);
        if (list) list.push(row);
        else byKey.set(key, [row]);
      }
      return keys.map((key) => byKey.get(key) ?? []);
    },
    { maxBatchSize: 1000 },
  );
}
