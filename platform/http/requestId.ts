/**
 * The request id: one per HTTP request, on every log line about it, in the
 * audit record, in the `x-request-id` response header, and sent on to the
 * agencies so their lines carry the same id. A service that trusts its caller
 * (a subgraph behind the gateway) takes the incoming `x-request-id`; the
 * gateway always makes its own, so an app cannot choose audit ids.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const REQUEST_ID_HEADER = "x-request-id";
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const requestIds = new WeakMap<IncomingMessage, string>();

/** Gives `request` its id (the incoming header's when trusted and well-formed) and returns it. */
export function assignRequestId(request: IncomingMessage, trustIncoming: boolean): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  const id = trustIncoming && typeof incoming === "string" && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  requestIds.set(request, id);
  return id;
}

/** The id assigned to `request`, assigning a fresh one if none was. */
export function requestIdOf(request: IncomingMessage): string {
  return requestIds.get(request) ?? assignRequestId(request, false);
}
