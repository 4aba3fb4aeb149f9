// `npm run bench [-- --db postgres] [--duration S] [--connections N] [--scenario NAME …]
//   [--warmup S] [--tokens N] [--introspection-cache-ttl S] [--out FILE] [--from-source]`
//
// One benchmark run, every figure measured in the same run on the same machine:
//   1. the floor: a bare Fastify "hello" server in its own process (./floor-server.ts; the same
//      server also answers Synapse's introspection request with a same-shaped response, to show
//      what HTTP alone costs for it), and the raw argon2id verify rate at Gatehouse's parameters on
//      every core (./argon2-rate.ts);
//   2. Gatehouse as a separate `gatehouse server` process (SQLite, or a throwaway PostgreSQL with
//      --db postgres) talking to a stub homeserver (./stub-homeserver.ts), seeded before it
//      starts (./gatehouse-process.ts), each scenario
//      (./scenarios.ts) warmed up, loaded at its maximum, then again at half that rate for the
//      latency under normal load; the server's CPU time and peak RSS read from /proc;
//   3. the peer: oidc-provider with its in-memory adapter (./peer-oidc-provider.ts) for the
//      scenarios it has (client credentials, introspection);
//   4. on PostgreSQL with the refresh scenario, the raw transaction rate of the refresh grant's
//      statements sent straight through pg (./postgres-raw-refresh.ts), on the same server once
//      Gatehouse has stopped.
// Writes bench/results/<date>.json (or --out) and prints a Markdown table (./report.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '../test/helpers/postgres.ts';
import {
  CLIENT_ID,
  startGatehouseUnderTest,
  USER,
  type GatehouseUnderTest,
} from './gatehouse-process.ts';
import { runAutocannon, type AutocannonRequest, type LoadResult } from './load.ts';
import { processTreeCpuSeconds, processUsage } from './process-usage.ts';
import {
  evaluateTargets,
  markdownReport,
  type BenchResults,
  type ScenarioProfile,
  type ScenarioResult,
} from './report.ts';
import { collapsedStacks, summarizeProfile, type CpuProfile } from './profile-summary.ts';
import { createScenarios } from './scenarios.ts';
import { BUNDLE_PATH, buildBundle } from '../scripts/build.ts';
import { databaseSchema } from '../src/config/sections/database.ts';
import { postmasterPid, type RawTransactionsResult } from './postgres-raw-refresh.ts';

const HERE = import.meta.dirname;

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string' },
    scenario: { type: 'string', multiple: true },
    out: { type: 'string' },
    // Valid access tokens the introspection scenario cycles through (each of its own session).
    tokens: { type: 'string', default: '1000' },
    // The server's `oauth.introspection_cache_ttl`; 0 measures every introspection as a miss,
    // which is what a homeserver sends that keeps answers itself (Synapse: 2 minutes).
    'introspection-cache-ttl': { type: 'string' },
    // Run Gatehouse from its TypeScript sources instead of the production bundle.
    'from-source': { type: 'boolean', default: false },
    // Profile the server during each maximum load (./cpu-profiler.ts, ./profile-summary.ts).
    profile: { type: 'boolean', default: false },
  },
});

const db = values.db;
if (db !== 'sqlite' && db !== 'postgres') fail(`--db must be sqlite or postgres, not ${db}`);
const duration = Number(values.duration);
const connections = Number(values.connections);
if (!(duration > 0) || !(connections > 0)) fail('--duration and --connections must be positive');
const tokens = Number(values.tokens);
if (!(tokens > 0)) fail('--tokens must be positive');
const introspectionCacheTtl =
  values['introspection-cache-ttl'] === undefined
    ? null
    : Number(values['introspection-cache-ttl']);
if (introspectionCacheTtl !== null && !(introspectionCacheTtl >= 0 && introspectionCacheTtl <= 300))
  fail('--introspection-cache-ttl must be 0 to 300 seconds');
const warmup = values.warmup === undefined ? Math.min(2, duration) : Number(values.warmup);
const allScenarios = createScenarios();
const wanted = (values.scenario ?? []).flatMap((s) => s.split(','));
for (const name of wanted) {
  if (!allScenarios.some((s) => s.name === name)) {
    fail(`unknown scenario ${name}; known: ${allScenarios.map((s) => s.name).join(', ')}`);
  }
}
const scenarios =
  wanted.length === 0 ? allScenarios : allScenarios.filter((s) => wanted.includes(s.name));

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** Starts a helper script in its own process and waits for its `listening <port>` line. */
async function startHelper(
  script: string,
  args: string[] = [],
): Promise<{ child: ChildProcess; port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(HERE, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match !== null) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    port,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The postmaster's pid of the throwaway server at `url`, or null when it cannot be read. */
async function postgresServerPid(url: string): Promise<number | null> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    return await postmasterPid(pool);
  } finally {
    await pool.end();
  }
}

/**
 * `--profile`: the server runs ./cpu-profiler.ts (through NODE_OPTIONS, in its environment only);
 * SIGUSR2 starts and stops its profiler around each maximum load, and each profile written is
 * renamed after its scenario, turned into collapsed stacks and summarised.
 */
class ProfileCollector {
  readonly #directory: string;
  #written = 0;

  constructor(directory: string) {
    this.#directory = directory;
    mkdirSync(directory, { recursive: true });
  }

  serverEnv(): Record<string, string> {
    const preload = `--import=${pathToFileURL(join(HERE, 'cpu-profiler.ts')).href}`;
    return {
      NODE_OPTIONS: [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' '),
      GATEHOUSE_BENCH_PROFILE_DIR: this.#directory,
    };
  }

  start(pid: number): void {
    process.kill(pid, 'SIGUSR2');
  }

  stop(pid: number): void {
    process.kill(pid, 'SIGUSR2');
    this.#written += 1;
  }

  /** Waits for the profile just stopped, files it under `name`; null if it never came. */
  async collect(name: string): Promise<ScenarioProfile | null> {
    const written = join(this.#directory, `${this.#written}.cpuprofile`);
    const deadline = performance.now() + 15_000;
    while (!existsSync(written)) {
      if (performance.now() > deadline) {
        log(`${name}: the server wrote no profile`);
        return null;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const file = join(this.#directory, `${name}.cpuprofile`);
    renameSync(written, file);
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const collapsed = join(this.#directory, `${name}.folded`);
    writeFileSync(collapsed, collapsedStacks(profile));
    return {
      file: relative(HERE, file),
      collapsed: relative(HERE, collapsed),
      summary: summarizeProfile(profile),
    };
  }
}

/**
 * A source file (or package.json) newer than the bundle, or null. bin/gatehouse.js runs the
 * sources instead of a bundle older than any of them, so a file edited between the build and the
 * server's start (another engineer at work in the same tree) silently swaps what is measured.
 */
function newerThanBundle(): string | null {
  const root = join(HERE, '..');
  const built = statSync(BUNDLE_PATH).mtimeMs;
  const candidates = [join(root, 'package.json')];
  for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) candidates.push(join(entry.parentPath, entry.name));
  }
  // A file deleted since it was listed counts as older.
  return (
    candidates.find((file) => (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > built) ??
    null
  );
}

async function argon2Rate(seconds: number): Promise<{ perSecond: number; workers: number }> {
  const child = spawn(process.execPath, [join(HERE, 'argon2-rate.ts'), String(seconds)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, UV_THREADPOOL_SIZE: String(availableParallelism()) },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`argon2-rate exited ${code}`);
  return JSON.parse(out) as { perSecond: number; workers: number };
}

/**
 * The refresh grant's transaction run raw through pg (./postgres-raw-refresh.ts) in its own
 * process, so its CPU time is its own, against the database Gatehouse ran on.
 */
async function rawRefreshRate(url: string): Promise<RawTransactionsResult> {
  // Gatehouse's default pool size, as the server under test ran with.
  const poolSize = databaseSchema.parse({ uri: url }).max_connections;
  const args = [
    join(HERE, 'postgres-raw-refresh.ts'),
    ...['--url', url, '--client-id', CLIENT_ID, '--username', USER.username],
    ...['--pool', String(poolSize), '--connections', String(connections)],
    ...['--duration', String(duration), '--warmup', String(warmup)],
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`postgres-raw-refresh exited ${code}`);
  return JSON.parse(out) as RawTransactionsResult;
}

/** A load with the CPU seconds the loaded process spent during it (read from /proc). */
async function withCpu(
  pid: number,
  load: () => Promise<LoadResult>,
): Promise<{ load: LoadResult; cpuSeconds: number }> {
  const before = processUsage(pid).cpuSeconds;
  const result = await load();
  return { load: result, cpuSeconds: processUsage(pid).cpuSeconds - before };
}

interface FloorMeasurement {
  /** `GET /`, "hello": the floor of the targets. */
  readonly hello: { load: LoadResult; cpuSeconds: number };
  /** `POST /introspect`: Synapse's introspection request answered with a same-shaped response. */
  readonly introspectionShaped: { load: LoadResult; cpuSeconds: number };
}

/** Synapse's introspection request as the same-shape floor receives it (./floor-server.ts). */
const INTROSPECTION_SHAPED_REQUEST: AutocannonRequest = {
  method: 'POST',
  path: '/introspect',
  headers: {
    authorization: `Bearer ${'s'.repeat(32)}`,
    'x-mas-supports-device-id': '1',
    'content-type': 'application/x-www-form-urlencoded',
  },
  body: `token=mat_${'a'.repeat(30)}_${'0'.repeat(6)}`,
};

async function measureFloor(): Promise<FloorMeasurement> {
  const floor = await startHelper('floor-server.ts');
  try {
    const url = `http://127.0.0.1:${floor.port}`;
    const measure = async (request: AutocannonRequest) => {
      const shape = { url, connections, requests: [request] };
      await runAutocannon({ ...shape, duration: warmup });
      return await withCpu(floor.child.pid!, () => runAutocannon({ ...shape, duration }));
    };
    return {
      hello: await measure({ method: 'GET', path: '/' }),
      introspectionShaped: await measure(INTROSPECTION_SHAPED_REQUEST),
    };
  } finally {
    await floor.stop();
  }
}

async function measurePeer(
  names: readonly string[],
): Promise<{ loads: Record<string, LoadResult>; cpuSeconds: Record<string, number> }> {
  const peer = await startHelper('peer-oidc-provider.ts', ['peer-client', 'peer-secret']);
  const url = `http://127.0.0.1:${peer.port}`;
  const basic = `Basic ${Buffer.from('peer-client:peer-secret').toString('base64')}`;
  const ccRequest = {
    method: 'POST',
    path: '/token',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  };
  const results: Record<string, LoadResult> = {};
  const cpuSeconds: Record<string, number> = {};
  const measured = async (name: string, load: () => Promise<LoadResult>) => {
    const { load: result, cpuSeconds: cpu } = await withCpu(peer.child.pid!, load);
    results[name] = result;
    cpuSeconds[name] = cpu;
  };
  try {
    if (names.includes('client-credentials')) {
      await runAutocannon({ url, connections, duration: warmup, requests: [ccRequest] });
      await measured('client-credentials', () =>
        runAutocannon({ url, connections, duration, requests: [ccRequest] }),
      );
    }
    if (names.includes('introspection')) {
      const tokens: string[] = [];
      for (let i = 0; i < 200; i++) {
        const response = await fetch(`${url}/token`, {
          method: 'POST',
          headers: ccRequest.headers,
          body: ccRequest.body,
        });
        tokens.push(((await response.json()) as { access_token: string }).access_token);
      }
      let i = 0;
      const request = {
        method: 'POST',
        path: '/token/introspection',
        headers: ccRequest.headers,
        setupRequest: (r: Record<string, unknown>) => ({
          ...r,
          body: `token=${tokens[i++ % tokens.length]}`,
        }),
      };
      await runAutocannon({ url, connections, duration: warmup, requests: [request] });
      await measured('introspection', () =>
        runAutocannon({ url, connections, duration, requests: [request] }),
      );
    }
  } finally {
    await peer.stop();
  }
  return { loads: results, cpuSeconds };
}

async function main(): Promise<void> {
  const started = new Date();
  const out =
    values.out ??
    join(HERE, 'results', `${started.toISOString().replace(/[:.]/g, '-')}-${db}.json`);
  const profiles = values.profile
    ? new ProfileCollector(out.replace(/\.json$/, '') + '-profiles')
    : null;
  // Measure what production runs: the bundle from `npm run build` (bin/gatehouse.js picks it up
  // because it is now newer than every source file).
  const entry = values['from-source'] ? 'source' : 'bundle';
  if (entry === 'bundle') {
    log('building the production bundle (npm run build)');
    await buildBundle();
  } else {
    process.env.GATEHOUSE_FROM_SOURCE = '1';
  }
  const loadBefore = loadavg();
  log(`floor: bare Fastify, ${connections} connections, ${duration} s`);
  const floor = await measureFloor();
  const names = scenarios.map((s) => s.name);
  const wantsLogin = names.includes('compat-login') || names.includes('authorization-code');
  const argon2 = wantsLogin ? await argon2Rate(duration) : null;
  if (argon2 !== null)
    log(`argon2id verify: ${argon2.perSecond.toFixed(1)}/s on ${argon2.workers} threads`);

  let postgres: PostgresServer | null = null;
  /** The postmaster, whose process tree's CPU time is PostgreSQL's share of each load. */
  let postgresPid: number | null = null;
  let gh: GatehouseUnderTest | null = null;
  const rawTransactions: Record<string, RawTransactionsResult | { skipped: string }> = {};
  let homeserver: Awaited<ReturnType<typeof startHelper>> | null = null;
  let floorAtHalf: Awaited<ReturnType<typeof startHelper>> | null = null;
  const results: ScenarioResult[] = [];
  let peakRssBytes = 0;
  let staleBy: string | null = null;
  try {
    if (db === 'postgres') {
      log('starting a throwaway PostgreSQL');
      postgres = await startPostgres();
      postgresPid = await postgresServerPid(postgres.url);
    }
    homeserver = await startHelper('stub-homeserver.ts');
    // The floor again, kept running: each half load is repeated against it at the same rate.
    floorAtHalf = await startHelper('floor-server.ts');
    log(`starting Gatehouse (${db}) and seeding`);
    gh = await startGatehouseUnderTest({
      homeserverEndpoint: `http://127.0.0.1:${homeserver.port}/`,
      ...(postgres === null ? {} : { database: postgres.url }),
      accessTokens: tokens,
      introspectionCacheTtl,
      // Each load drops the tokens of its requests in flight: enough for many loads.
      refreshTokens: connections * 20,
      serverEnv: profiles?.serverEnv() ?? {},
    });
    if (entry === 'bundle') {
      staleBy = newerThanBundle();
      if (staleBy !== null)
        log(`WARNING: ${staleBy} changed after the build: the server may run from source`);
    }
    for (const scenario of scenarios) {
      const unavailable = await scenario.available(gh);
      if (unavailable !== null) {
        log(`${scenario.name}: ${unavailable}`);
        results.push({
          name: scenario.name,
          description: scenario.description,
          skipped: unavailable,
        });
        continue;
      }
      log(`${scenario.name}: warm-up ${warmup} s, max ${duration} s, half ${duration} s`);
      let max: LoadResult;
      let half: LoadResult;
      let floorHalf: LoadResult;
      let afterHalf: ReturnType<typeof processUsage>;
      // CPU time is read after the warm-up, and again between the two loads.
      let before: ReturnType<typeof processUsage>;
      let afterMax: ReturnType<typeof processUsage>;
      let databaseCpuSecondsAtMax: number | null = null;
      try {
        if (warmup > 0) await scenario.run(gh, { connections, duration: warmup });
        before = processUsage(gh.pid);
        const databaseBefore = postgresPid === null ? null : processTreeCpuSeconds(postgresPid);
        profiles?.start(gh.pid);
        max = await scenario.run(gh, { connections, duration });
        afterMax = processUsage(gh.pid);
        if (databaseBefore !== null && postgresPid !== null) {
          databaseCpuSecondsAtMax = processTreeCpuSeconds(postgresPid) - databaseBefore;
        }
        profiles?.stop(gh.pid);
        const halfRate = Math.max(1, Math.round(max.rps / 2));
        half = await scenario.run(gh, { connections, duration, overallRate: halfRate });
        afterHalf = processUsage(gh.pid);
        floorHalf = await runAutocannon({
          url: `http://127.0.0.1:${floorAtHalf.port}`,
          connections,
          duration,
          overallRate: halfRate,
          requests: [{ method: 'GET', path: '/' }],
        });
      } catch (error) {
        const reason = `failed: ${(error as Error).message.split('\n')[0]}`;
        log(`${scenario.name}: ${reason}`);
        results.push({ name: scenario.name, description: scenario.description, skipped: reason });
        continue;
      }
      const after = afterHalf;
      peakRssBytes = Math.max(peakRssBytes, after.peakRssBytes);
      const profile = profiles === null ? null : await profiles.collect(scenario.name);
      results.push({
        name: scenario.name,
        description: scenario.description,
        max,
        half,
        floorAtHalf: floorHalf,
        serverCpuSeconds: after.cpuSeconds - before.cpuSeconds,
        serverCpuSecondsAtMax: afterMax.cpuSeconds - before.cpuSeconds,
        serverPeakRssBytes: after.peakRssBytes,
        ...(profile === null ? {} : { profile }),
        ...(databaseCpuSecondsAtMax === null ? {} : { databaseCpuSecondsAtMax }),
      });
    }
    peakRssBytes = Math.max(peakRssBytes, processUsage(gh.pid).peakRssBytes);
    if (postgres !== null && names.includes('refresh')) {
      // Gatehouse is stopped first: the reference gets the machine (and the database) to itself,
      // as each scenario did, and its rows come after every Gatehouse load.
      const stopping = gh;
      gh = null;
      await stopping.stop();
      log(`refresh: raw PostgreSQL transactions, warm-up ${warmup} s, ${duration} s`);
      try {
        rawTransactions.refresh = await rawRefreshRate(postgres.url);
      } catch (error) {
        const reason = `failed: ${(error as Error).message.split('\n')[0]}`;
        log(`refresh raw transactions: ${reason}`);
        rawTransactions.refresh = { skipped: reason };
      }
    }
  } finally {
    await gh?.stop();
    await homeserver?.stop();
    await floorAtHalf?.stop();
    await postgres?.destroy();
  }

  const peerNames = names.filter((n) => n === 'client-credentials' || n === 'introspection');
  const peer = peerNames.length > 0 ? await measurePeer(peerNames) : { loads: {}, cpuSeconds: {} };
  if (peerNames.length > 0) log('peer: oidc-provider (in-memory adapter) measured');

  const bench: BenchResults = {
    date: started.toISOString(),
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg(),
    },
    options: {
      db,
      duration,
      connections,
      warmup,
      tokens,
      introspectionCacheTtl,
      entry,
      ...(staleBy === null ? {} : { bundleStaleBy: staleBy }),
    },
    floor: {
      fastify: floor.hello.load,
      fastifyCpuSeconds: floor.hello.cpuSeconds,
      introspectionShaped: floor.introspectionShaped.load,
      introspectionShapedCpuSeconds: floor.introspectionShaped.cpuSeconds,
      argon2VerifyPerSecond: argon2?.perSecond ?? null,
    },
    peer: peer.loads,
    peerCpuSeconds: peer.cpuSeconds,
    scenarios: results,
    ...(Object.keys(rawTransactions).length === 0 ? {} : { rawTransactions }),
    serverPeakRssBytes: peakRssBytes,
    targets: [],
  };
  bench.targets = evaluateTargets(bench);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(bench, null, 2)}\n`);
  process.stdout.write(`${markdownReport(bench)}\nResults written to ${out}\n`);
}

await main();
