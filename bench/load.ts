// Load generation: one autocannon run (keep-alive, a fixed number of connections, a fixed
// duration) for the maximum rate; an open-loop paced run (./paced-load.ts) for a fixed rate ("half
// load"); or a custom request loop for flows that autocannon cannot express (several dependent
// requests with cookies). All give the same `LoadResult`.
//
// Why not autocannon's `overallRate` for the fixed rate: it lets each connection send its share of
// a second back to back at full speed and then idle for the rest of the second, so "half load" was
// the maximum load for half of each second and its p99 that of the maximum load. Its latencies are
// also whole milliseconds, too coarse for a p99 target of 2 ms.

import autocannon from 'autocannon';
import { runPaced } from './paced-load.ts';

export interface LoadResult {
  /** Successful requests (or flows) per second: responses with an unexpected status do not count. */
  readonly rps: number;
  /** Responses received (or flows completed), successful or not. */
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Connection errors, timeouts and responses with an unexpected status. */
  readonly errors: number;
  readonly seconds: number;
}

export interface AutocannonRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: Record<string, unknown>, context: Record<string, unknown>) => unknown;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly duration: number;
  readonly requests: AutocannonRequest[];
  /** Requests per second over all connections; unlimited when absent. */
  readonly overallRate?: number;
  /** Statuses that count as success (default 200). */
  readonly expect?: readonly number[];
}

/** The maximum rate with autocannon; a fixed rate (`overallRate`) paced evenly (./paced-load.ts). */
export async function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  if (options.overallRate !== undefined)
    return runPaced({ ...options, overallRate: options.overallRate });
  const expect = new Set(options.expect ?? [200]);
  let unexpected = 0;
  const requests = options.requests.map((request) => ({
    ...request,
    onResponse: (status: number, body: string, context: Record<string, unknown>) => {
      if (!expect.has(status)) unexpected++;
      request.onResponse?.(status, body, context);
    },
  }));
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    pipelining: 1,
    requests: requests as never,
  });
  return {
    rps: Math.max(0, result.requests.total - unexpected) / result.duration,
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.errors + result.timeouts + unexpected,
    seconds: result.duration,
  };
}

/**
 * Runs `flow` in `concurrency` loops for `duration` seconds (each loop waits `1/rate·concurrency`
 * between starts when `overallRate` is set) and measures each flow end to end.
 */
export async function runFlowLoop(options: {
  readonly concurrency: number;
  readonly duration: number;
  readonly overallRate?: number;
  readonly flow: () => Promise<void>;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.duration * 1000;
  const interval =
    options.overallRate === undefined ? 0 : (1000 * options.concurrency) / options.overallRate;
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, loop) => {
      let next = started + (interval * loop) / options.concurrency;
      while (performance.now() < deadline) {
        if (interval > 0) {
          const wait = next - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          next += interval;
          if (performance.now() >= deadline) break;
        }
        const begin = performance.now();
        try {
          await options.flow();
          latencies.push(performance.now() - begin);
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    rps: latencies.length / seconds,
    requests: latencies.length,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: latencies.at(-1) ?? 0,
    errors,
    seconds,
  };
}
