/**
 * The address a request comes from: the socket's peer, or, when that peer is
 * a proxy named in `TRUSTED_PROXIES`, the nearest address in
 * `X-Forwarded-For` that is not one of those proxies. A client cannot choose
 * its address by sending the header itself: an untrusted peer's header is
 * ignored.
 */
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/** `::ffff:127.0.0.1` and `127.0.0.1` are one address. */
function normalize(address: string): string {
  const trimmed = address.trim();
  return trimmed.startsWith("::ffff:") && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

export function createClientAddressResolver(trustedProxies: readonly string[]): (request: IncomingMessage) => string | null {
  const trusted = new Set(trustedProxies.map(normalize));
  return (request) => {
    const peer = request.socket?.remoteAddress ? normalize(request.socket.remoteAddress) : null;
    if (!peer || !trusted.has(peer)) return peer;
    const forwarded = request.headersDistinct?.["x-forwarded-for"]?.join(",") ?? "";
    // Right to left: each trusted proxy appended the address it received from.
    const hops = forwarded.split(",").map(normalize).filter((hop) => isIP(hop) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i]!)) return hops[i]!;
    return peer;
  };
}
