// The results of one benchmark run (the JSON written to bench/results/), the performance targets
// of issue 8 checked against them, and the Markdown table printed at the end of a run.

import type { LoadResult } from './load.ts';
import type { RawTransactionsResult } from './postgres-raw-refresh.ts';
import type { ProfileSummary } from './profile-summary.ts';

export interface ScenarioResult {
  readonly name: string;
  readonly description: string;
  /** Why the scenario did not run (e.g. the compat layer is not in this build). */
  readonly skipped?: string;
  readonly max?: LoadResult;
  /** At half of `max.rps`: latency under normal load. */
  readonly half?: LoadResult;
  /**
   * The bare Fastify floor loaded at the same paced rate as `half`, right after it: the latency
   * this machine and load generator give a server that does nothing.
   */
  readonly floorAtHalf?: LoadResult;
  /** CPU seconds the server used during the max and half loads (not the warm-up). */
  readonly serverCpuSeconds?: number;
  /** CPU seconds the server used during the max load alone. */
  readonly serverCpuSecondsAtMax?: number;
  readonly serverPeakRssBytes?: number;
  /**
   * PostgreSQL only: CPU seconds the database server (postmaster and backends) used during the max
   * load, so its share of each request can be told from Gatehouse's.
   */
  readonly databaseCpuSecondsAtMax?: number;
  /** With `--profile`: the server's CPU profile of the maximum load (./cpu-profiler.ts). */
  readonly profile?: ScenarioProfile;
}

export interface ScenarioProfile {
  /** The `.cpuprofile` (a flame graph in Chrome DevTools or speedscope), relative to bench/. */
  readonly file: string;
  /** The same samples as collapsed stacks (flamegraph.pl, inferno), relative to bench/. */
  readonly collapsed: string;
  readonly summary: ProfileSummary;
}

export interface TargetResult {
  readonly name: string;
  readonly target: string;
  /** The measured value, in the target's unit; null when it could not be measured. */
  readonly value: number | null;
  readonly met: boolean | null;
}

export interface BenchResults {
  readonly date: string;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly memoryBytes: number;
    readonly node: string;
    readonly platform: string;
    readonly loadAverageBefore: number[];
    readonly loadAverageAfter: number[];
  };
  readonly options: {
    readonly db: string;
    readonly duration: number;
    readonly connections: number;
    readonly warmup: number;
    readonly tokens: number;
    /** `oauth.introspection_cache_ttl` given to the server; null: its default. */
    readonly introspectionCacheTtl?: number | null;
    /** `bundle` (dist/bundle/main.mjs, what production runs) or `source` (TypeScript). */
    readonly entry: 'bundle' | 'source';
    /** A source file changed after the build: the server may have run from source after all. */
    readonly bundleStaleBy?: string;
  };
  readonly floor: {
    readonly fastify: LoadResult;
    /** CPU seconds the floor server used during its measured load. */
    readonly fastifyCpuSeconds?: number;
    /**
     * The same Fastify answering Synapse's introspection request with a response of the same
     * shape and nothing else (./floor-server.ts); absent from results older than it.
     */
    readonly introspectionShaped?: LoadResult;
    readonly introspectionShapedCpuSeconds?: number;
    readonly argon2VerifyPerSecond: number | null;
  };
  /** oidc-provider's figures for the scenarios it shares with Gatehouse. */
  readonly peer: Record<string, LoadResult>;
  /** oidc-provider's CPU seconds during each of those loads. */
  readonly peerCpuSeconds?: Record<string, number>;
  readonly scenarios: ScenarioResult[];
  /**
   * PostgreSQL only: a scenario's statements sent straight through pg, keyed by scenario (now
   * `refresh`, see ./postgres-raw-refresh.ts); `skipped` says why it has no figures.
   */
  readonly rawTransactions?: Record<string, RawTransactionsResult | { readonly skipped: string }>;
  readonly serverPeakRssBytes: number;
  targets: TargetResult[];
}

const MB = 1024 * 1024;

/**
 * Server CPU time per answered request, in microseconds. Unlike req/s, this hardly depends on
 * what else the machine is doing (a busy machine slows a server down but does not make its
 * requests cost more CPU), so it is the figure to compare runs on a shared machine with.
 */
export function cpuMicrosPerRequest(
  cpuSeconds: number | undefined,
  requests: number,
): number | undefined {
  return cpuSeconds === undefined || requests === 0 ? undefined : (cpuSeconds * 1e6) / requests;
}

/** The raw PostgreSQL reference of a scenario, when it was measured. */
export function rawReference(
  results: BenchResults,
  name: string,
): RawTransactionsResult | undefined {
  const raw = results.rawTransactions?.[name];
  return raw === undefined || 'skipped' in raw ? undefined : raw;
}

/**
 * The scenario's server CPU per request at its maximum rate, as the floor and the peer are
 * measured (at half the rate a request costs more: fewer of them share each wake-up).
 */
export function scenarioCpuMicros(s: ScenarioResult): number | undefined {
  if (s.max === undefined) return undefined;
  return cpuMicrosPerRequest(s.serverCpuSecondsAtMax, s.max.requests);
}

function check(
  name: string,
  target: string,
  value: number | null | undefined,
  ok: (v: number) => boolean,
): TargetResult {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return { name, target, value: null, met: null };
  }
  return { name, target, value, met: ok(value) };
}

export function evaluateTargets(results: BenchResults): TargetResult[] {
  const floor = results.floor.fastify.rps;
  const byName = (name: string) => results.scenarios.find((s) => s.name === name && !s.skipped);
  const share = (name: string) => {
    const rps = byName(name)?.max?.rps;
    return rps === undefined ? null : rps / floor;
  };
  const db = results.options.db;
  const argon2 = results.floor.argon2VerifyPerSecond;
  const login = byName('compat-login')?.max?.rps;
  const cc = byName('client-credentials')?.max?.rps;
  const peerCc = results.peer['client-credentials']?.rps;
  const targets: TargetResult[] = [];
  if (db === 'sqlite') {
    targets.push(check('introspection / floor', '≥ 0.50', share('introspection'), (v) => v >= 0.5));
    targets.push(check('refresh / floor', '≥ 0.10', share('refresh'), (v) => v >= 0.1));
  }
  if (db === 'postgres') {
    // "Within 2× of the raw transaction rate for the same writes".
    const refresh = byName('refresh')?.max?.rps;
    const raw = rawReference(results, 'refresh')?.perSecond;
    targets.push(
      check(
        'refresh (PostgreSQL) / raw transaction rate',
        '≥ 0.5',
        refresh !== undefined && raw !== undefined && raw > 0 ? refresh / raw : null,
        (v) => v >= 0.5,
      ),
    );
  }
  targets.push(
    check(
      'introspection p99 at half load (ms)',
      '< 2',
      byName('introspection')?.half?.p99Ms,
      (v) => v < 2,
    ),
    check(
      'client credentials / oidc-provider',
      '≥ 1.5',
      cc !== undefined && peerCc !== undefined ? cc / peerCc : null,
      (v) => v >= 1.5,
    ),
    check(
      'password login / raw argon2id verify',
      '≥ 0.90',
      login !== undefined && argon2 !== null ? login / argon2 : null,
      (v) => v >= 0.9,
    ),
    check(
      'password login p99 at half load (ms)',
      '< 100',
      byName('compat-login')?.half?.p99Ms,
      (v) => v < 100,
    ),
    check('server peak RSS (MB)', '< 120', results.serverPeakRssBytes / MB, (v) => v < 120),
  );
  return targets.filter((t) => !(t.value === null && results.scenarios.length === 0));
}

const fixed = (n: number | undefined, digits = 1) => (n === undefined ? '—' : n.toFixed(digits));

export function markdownReport(results: BenchResults): string {
  const floor = results.floor.fastify.rps;
  const lines: string[] = [];
  const m = results.machine;
  lines.push(
    `## Gatehouse benchmark — ${results.date} (${results.options.db})`,
    '',
    `Machine: ${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 1024 ** 3).toFixed(1)} GiB, ` +
      `Node ${m.node}, ${m.platform}; load average before ${m.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}, ` +
      `after ${m.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}.`,
    `Load: ${results.options.connections} connections, ${results.options.duration} s per load, ` +
      `${results.options.warmup} s warm-up.` +
      (results.options.introspectionCacheTtl === null ||
      results.options.introspectionCacheTtl === undefined
        ? ''
        : ` Server's introspection cache lifetime: ${results.options.introspectionCacheTtl} s` +
          (results.options.introspectionCacheTtl === 0
            ? ' (off: every introspection is a miss).'
            : '.')),
    '',
    `Floor: bare Fastify ${floor.toFixed(0)} req/s (p99 ${fixed(results.floor.fastify.p99Ms)} ms, ` +
      `${fixed(cpuMicrosPerRequest(results.floor.fastifyCpuSeconds, results.floor.fastify.requests), 0)} µs CPU/request)` +
      (results.floor.argon2VerifyPerSecond === null
        ? '.'
        : `; raw argon2id verify ${results.floor.argon2VerifyPerSecond.toFixed(1)}/s.`),
    ...introspectionShapedLines(results),
    '',
    '| scenario | req/s | × floor | p50 ms | p99 ms | max ms | errors | p99 ms at ½ | errors at ½ | floor p99 ms at the same rate | server CPU s | CPU µs/req | peer req/s | peer CPU µs/req |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const s of results.scenarios) {
    if (s.skipped !== undefined || s.max === undefined) {
      lines.push(`| ${s.name} | ${s.skipped ?? 'not run'} | | | | | | | | | | | | |`);
      continue;
    }
    const peer = results.peer[s.name];
    const peerCpu =
      peer === undefined
        ? undefined
        : cpuMicrosPerRequest(results.peerCpuSeconds?.[s.name], peer.requests);
    lines.push(
      `| ${s.name} | ${s.max.rps.toFixed(0)} | ${(s.max.rps / floor).toFixed(3)} | ${fixed(s.max.p50Ms)} | ` +
        `${fixed(s.max.p99Ms)} | ${fixed(s.max.maxMs)} | ${s.max.errors} | ${fixed(s.half?.p99Ms)} | ` +
        `${s.half?.errors ?? '—'} | ${fixed(s.floorAtHalf?.p99Ms)} | ${fixed(s.serverCpuSeconds, 2)} | ${fixed(scenarioCpuMicros(s), 0)} | ` +
        `${peer === undefined ? '' : peer.rps.toFixed(0)} | ${peer === undefined ? '' : fixed(peerCpu, 0)} |`,
    );
  }
  lines.push('', `Server peak RSS: ${(results.serverPeakRssBytes / MB).toFixed(1)} MB.`, '');
  lines.push(...rawReferenceLines(results));
  if (results.options.bundleStaleBy !== undefined) {
    lines.push(
      `WARNING: ${results.options.bundleStaleBy} changed after the build; the server may have run from source.`,
      '',
    );
  }
  const cpuRatios = cpuRatioLines(results);
  if (cpuRatios.length > 0) {
    lines.push(
      'The same ratios from CPU time per request (what each request costs its server; on a busy',
      'machine these move much less than req/s):',
      '',
      ...cpuRatios,
      '',
    );
  }
  lines.push(...profileLines(results));
  lines.push('| target | wanted | measured | met |', '|---|---|---:|---|');
  for (const t of results.targets) {
    lines.push(
      `| ${t.name} | ${t.target} | ${t.value === null ? 'n/a' : t.value.toFixed(3)} | ${t.met === null ? 'n/a' : t.met ? 'yes' : 'NO'} |`,
    );
  }
  return lines.join('\n');
}

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

/** Where each profiled scenario's maximum load spent the server's time (`--profile`). */
function profileLines(results: BenchResults): string[] {
  const profiled = results.scenarios.filter((s) => s.profile !== undefined);
  if (profiled.length === 0) return [];
  const lines = [
    'Where the time goes: CPU profiles of the server during each maximum load (shares of its busy',
    'time; the `.cpuprofile` files open as flame graphs in Chrome DevTools or speedscope, the',
    '`.folded` files feed flamegraph.pl or inferno):',
    '',
  ];
  for (const s of profiled) {
    const { summary, file, collapsed } = s.profile!;
    const top = (shares: ProfileSummary['topSelf'], n: number) =>
      shares
        .slice(0, n)
        .map((f) => `${f.function} ${percent(f.share)}`)
        .join('; ');
    lines.push(
      `- **${s.name}** (\`${file}\`, \`${collapsed}\`): idle ${percent(summary.idleShare)} of the samples, ` +
        `garbage collection ${percent(summary.gcShare)}. Self: ${top(summary.topSelf, 6)}.`,
    );
  }
  lines.push('');
  return lines;
}

/** The same-shape floor of introspection, when the run measured it. */
function introspectionShapedLines(results: BenchResults): string[] {
  const shaped = results.floor.introspectionShaped;
  if (shaped === undefined) return [];
  const cpu = cpuMicrosPerRequest(results.floor.introspectionShapedCpuSeconds, shaped.requests);
  return [
    `Same-shape floor: the same Fastify answering Synapse's introspection request (form body) with ` +
      `a same-sized active answer and the same headers, nothing else: ${shaped.rps.toFixed(0)} req/s ` +
      `(${(shaped.rps / results.floor.fastify.rps).toFixed(3)} × floor, ${fixed(cpu, 0)} µs CPU/request).`,
  ];
}

/** The raw PostgreSQL references measured in the run, one paragraph each. */
function rawReferenceLines(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const [name, raw] of Object.entries(results.rawTransactions ?? {})) {
    if ('skipped' in raw) {
      lines.push(`Raw PostgreSQL transactions (${name}): ${raw.skipped}.`, '');
      continue;
    }
    const scenario = results.scenarios.find((s) => s.name === name && !s.skipped);
    const gatehouse = scenario?.max?.rps;
    const gatehouseDatabaseCpu = cpuMicrosPerRequest(
      scenario?.databaseCpuSecondsAtMax,
      scenario?.max?.requests ?? 0,
    );
    const perTx = (seconds: number | null) =>
      seconds === null ? '—' : fixed(cpuMicrosPerRequest(seconds, raw.transactions), 0);
    lines.push(
      `Raw PostgreSQL transactions (${name}): ${raw.description}, pool of ${raw.poolSize}, ` +
        `${raw.concurrency} in flight: **${raw.perSecond.toFixed(0)} tx/s** ` +
        `(p50 ${raw.p50Ms.toFixed(1)} ms, p99 ${raw.p99Ms.toFixed(1)} ms, ${raw.errors} errors); ` +
        `client CPU ${perTx(raw.clientCpuSeconds)} µs/tx, PostgreSQL CPU ${perTx(raw.postgresCpuSeconds)} µs/tx. ` +
        `Gatehouse ${name} ÷ raw: ${gatehouse === undefined || raw.perSecond === 0 ? 'n/a' : (gatehouse / raw.perSecond).toFixed(3)}` +
        (gatehouseDatabaseCpu === undefined
          ? '.'
          : ` (PostgreSQL CPU per Gatehouse ${name}: ${fixed(gatehouseDatabaseCpu, 0)} µs).`),
      '',
    );
  }
  return lines;
}

/** Throughput-style ratios computed from CPU per request: floor (or peer) cost ÷ Gatehouse cost. */
function cpuRatioLines(results: BenchResults): string[] {
  const floorCpu = cpuMicrosPerRequest(
    results.floor.fastifyCpuSeconds,
    results.floor.fastify.requests,
  );
  const lines: string[] = [];
  for (const s of results.scenarios) {
    const own = scenarioCpuMicros(s);
    if (own === undefined) continue;
    const parts: string[] = [];
    if (floorCpu !== undefined) parts.push(`× floor ${(floorCpu / own).toFixed(3)}`);
    if (s.name === 'introspection' || s.name === 'compat-introspection') {
      const shaped = results.floor.introspectionShaped;
      const shapedCpu =
        shaped === undefined
          ? undefined
          : cpuMicrosPerRequest(results.floor.introspectionShapedCpuSeconds, shaped.requests);
      if (shapedCpu !== undefined) parts.push(`× same-shape floor ${(shapedCpu / own).toFixed(3)}`);
    }
    const peer = results.peer[s.name];
    const peerCpu =
      peer === undefined
        ? undefined
        : cpuMicrosPerRequest(results.peerCpuSeconds?.[s.name], peer.requests);
    if (peerCpu !== undefined) parts.push(`× oidc-provider ${(peerCpu / own).toFixed(3)}`);
    const database = cpuMicrosPerRequest(s.databaseCpuSecondsAtMax, s.max?.requests ?? 0);
    if (database !== undefined) parts.push(`PostgreSQL CPU ${database.toFixed(0)} µs/req`);
    if (parts.length > 0) lines.push(`- ${s.name}: ${parts.join(', ')}`);
  }
  return lines;
}
