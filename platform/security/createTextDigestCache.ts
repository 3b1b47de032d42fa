/**
 * SHA-256 (hex) of texts that repeat, such as the operation text of every
 * request of an app: each distinct text is hashed once and its digest kept.
 * Texts longer than `maxTextLength` are hashed every time and not kept, so
 * the cache stays small whatever is sent.
 */
import { createHash } from "node:crypto";

export interface TextDigestCacheOptions {
  /** Digests kept. @default 500 */
  maxEntries?: number;
  /** Longest text kept. @default 16_384 */
  maxTextLength?: number;
}

export type TextDigest = (text: string) => string;

export function createTextDigestCache(options: TextDigestCacheOptions = {}): TextDigest {
  const maxEntries = options.maxEntries ?? 500;
  const maxTextLength = options.maxTextLength ?? 16_384;
  const kept = new Map<string, string>();
  const digestOf = (text: string) => createHash("sha256").update(text).digest("hex");
  return (text) => {
    if (text.length > maxTextLength) return digestOf(text);
    let digest = kept.get(text);
    if (digest !== undefined) return digest;
    digest = digestOf(text);
    if (kept.size >= maxEntries) kept.delete(kept.keys().next().value!);
    kept.set(text, digest);
    return digest;
  };
}
