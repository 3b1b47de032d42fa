/**
 * A circuit breaker per subgraph: after `failureThreshold` failures in a row
 * the agency is not called for `resetMs`; then one trial request decides
 * whether it is back. A down agency then costs its fields at once instead of
 * a timeout on every request.
 */

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 5 */
  failureThreshold?: number;
  /** How long the circuit stays open before a trial. @default 10_000 */
  resetMs?: number;
  /** Told of every change of state (logs, metrics). */
  onStateChange?(state: "closed" | "open" | "half-open"): void;
}

export interface CircuitBreaker {
  /** Whether a request may be sent now (false while open; one trial at a time when half-open). */
  allows(): boolean;
  succeeded(): void;
  failed(): void;
  readonly state: "closed" | "open" | "half-open";
}

export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const threshold = options.failureThreshold ?? 5;
  const resetMs = options.resetMs ?? 10_000;
  let failures = 0;
  let openedAt = 0;
  let trialInFlight = false;
  let state: CircuitBreaker["state"] = "closed";
  const enter = (next: CircuitBreaker["state"]) => {
    if (next === state) return;
    state = next;
    options.onStateChange?.(next);
  };
  return {
    get state() {
      return state;
    },
    allows() {
      if (state === "closed") return true;
      if (state === "open" && Date.now() - openedAt >= resetMs) enter("half-open");
      if (state === "half-open" && !trialInFlight) {
        trialInFlight = true;
        return true;
      }
      return false;
    },
    succeeded() {
      failures = 0;
      trialInFlight = false;
      enter("closed");
    },
    failed() {
      trialInFlight = false;
      failures += 1;
      if (state === "half-open" || failures >= threshold) {
        openedAt = Date.now();
        enter("open");
      }
    },
  };
}
