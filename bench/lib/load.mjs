// A closed-loop load generator: a fixed number of requests in flight, each worker sending its
// next request as soon as the previous one is answered, until a request count or a deadline.

import { performance } from "node:perf_hooks";

/** How many request errors a run keeps for its report. */
const ERRORS_KEPT = 5;

/**
 * Sends requests `send(0)`, `send(1)`, … with `concurrency` in flight until `requests` were
 * sent or `seconds` have passed, whichever comes first; a request under way at the deadline
 * is waited for and counted.
 *
 * `send(i)` returns a promise of the request's status code once its body has been read. A
 * request that throws counts with status 0; its error is kept (the first few) for the report.
 *
 * Returns the latency of every request in milliseconds (in the order they finished), their
 * statuses, and the wall time of the whole run.
 */
export async function runLoad({ concurrency, requests, seconds, send }) {
  const latenciesMs = new Float64Array(requests);
  const statuses = new Map();
  const errors = [];
  let next = 0;
  let done = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;

  async function worker() {
    while (next < requests && performance.now() < deadline) {
      const index = next;
      next += 1;
      const sent = performance.now();
      let status;
      try {
        status = await send(index);
      } catch (error) {
        status = 0;
        if (errors.length < ERRORS_KEPT) {
          errors.push(String(error.cause ?? error));
        }
      }
      latenciesMs[done] = performance.now() - sent;
      done += 1;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  }

  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - started;
  return { latenciesMs: latenciesMs.subarray(0, done), statuses, errors, elapsedMs };
}

/** Returns the `q` quantile (0 < q ≤ 1) of `values` by the nearest-rank method. */
export function quantile(sortedValues, q) {
  if (sortedValues.length === 0) {
    return Number.NaN;
  }
  const rank = Math.ceil(q * sortedValues.length);
  return sortedValues[Math.min(Math.max(rank, 1), sortedValues.length) - 1];
}

/** Sums up a run: request count, p50 and p99 in milliseconds, and requests per second. */
export function summarize({ latenciesMs, statuses, errors, elapsedMs }) {
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    requests: sorted.length,
    ok: statuses.get(200) ?? 0,
    statuses,
    errors,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    perSecond: sorted.length / (elapsedMs / 1000),
    elapsedMs,
  };
}

/**
 * Runs `task(item)` for every item with at most `concurrency` at a time, and rejects with the
 * first failure once the tasks under way have settled.
 */
export async function forEachLimited(items, concurrency, task) {
  let next = 0;
  let failure = null;
  async function worker() {
    while (next < items.length && failure === null) {
      const item = items[next];
      next += 1;
      try {
        await task(item);
      } catch (error) {
        failure ??= error;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== null) {
    throw failure;
  }
}
