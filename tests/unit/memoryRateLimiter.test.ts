/**
 * The in-memory token buckets: a burst, then refusals with Retry-After, then
 * the refill; and a map that does not grow with the number of distinct
 * callers (the unauthenticated limit is keyed by client address, which an
 * attacker can vary).
 */
import { describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../../gateway/guard/createRateLimiter.ts";

const LIMIT = { perSecond: 2, burst: 4 };

function clock(start = 1_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe("the in-memory rate limiter", () => {
  it("allows the burst, refuses the next with a Retry-After, and refills at the rate", async () => {
    const time = clock();
    const limiter = createMemoryRateLimiter({ now: time.now });
    for (let i = 0; i < LIMIT.burst; i++) expect((await limiter.take("app:a", LIMIT)).allowed).toBe(true);
    expect(await limiter.take("app:a", LIMIT)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // Another app has its own bucket.
    expect((await limiter.take("app:b", LIMIT)).allowed).toBe(true);
    time.advance(500); // one token back at 2 per second
    expect((await limiter.take("app:a", LIMIT)).allowed).toBe(true);
    expect((await limiter.take("app:a", LIMIT)).allowed).toBe(false);
  });

  it("forgets the buckets of callers that stopped once they are full again, and keeps limiting the ones that did not", async () => {
    const time = clock();
    const limiter = createMemoryRateLimiter({ now: time.now });
    // A busy caller empties its bucket.
    for (let i = 0; i < LIMIT.burst; i++) await limiter.take("unauthenticated:10.0.0.1", LIMIT);
    // 50,000 distinct addresses send one request each, within a second.
    for (let i = 0; i < 50_000; i++) {
      await limiter.take(`unauthenticated:2001:db8::${i.toString(16)}`, LIMIT);
      if (i % 5_000 === 0) time.advance(100);
    }
    const peak = limiter.buckets();
    // Each of them is full again half a second after its one request; a sweep runs at most every 10 s.
    time.advance(10_000);
    await limiter.take("unauthenticated:10.0.0.1", LIMIT);
    expect(peak).toBeGreaterThan(10_000);
    expect(limiter.buckets()).toBeLessThanOrEqual(1);
    // The busy caller is still limited: its bucket refilled to the burst, and it is spent again.
    for (let i = 0; i < LIMIT.burst - 1; i++) expect((await limiter.take("unauthenticated:10.0.0.1", LIMIT)).allowed).toBe(true);
    expect((await limiter.take("unauthenticated:10.0.0.1", LIMIT)).allowed).toBe(false);
  });

  it("never holds more than maxBuckets, however many callers arrive at once", async () => {
    const time = clock();
    const limiter = createMemoryRateLimiter({ now: time.now, maxBuckets: 1_000 });
    for (let i = 0; i < 20_000; i++) await limiter.take(`unauthenticated:198.51.${i >> 8}.${i & 255}`, LIMIT);
    expect(limiter.buckets()).toBeLessThanOrEqual(1_000);
    // The newest callers are the ones still held: the latest is limited as before.
    const latest = "unauthenticated:198.51.78.31";
    for (let i = 0; i < LIMIT.burst - 1; i++) expect((await limiter.take(latest, LIMIT)).allowed).toBe(true);
    expect((await limiter.take(latest, LIMIT)).allowed).toBe(false);
  });
});
