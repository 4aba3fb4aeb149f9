// The benchmark runner works end to end: one short scenario (discovery, ~1 s of load) against a
// real server process, the floor measured, results written as JSON and a Markdown table printed;
// and on PostgreSQL the refresh scenario with its raw transaction reference
// (bench/postgres-raw-refresh.ts) beside it. Only the structure is checked: timings are the
// benchmark's business, never a test's.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REFRESH_SEQUENCE } from '../../bench/postgres-raw-refresh.ts';
import type { CpuProfile } from '../../bench/profile-summary.ts';
import type { BenchResults } from '../../bench/report.ts';
import { databaseSchema } from '../../src/config/sections/database.ts';

const BENCH = join(import.meta.dirname, '..', '..', 'bench');
const RUNNER = join(BENCH, 'run.ts');

/** Runs the runner with short loads; resolves with what it printed once it exited 0. */
async function runBench(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    [
      RUNNER,
      ...args,
      ...['--duration', '1', '--warmup', '0', '--connections', '2', '--tokens', '10'],
      // The bundle is built and run by test/scripts/build.test.ts; building dist/bundle here
      // would make every later test's server run from it.
      '--from-source',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `runner failed:\n${stderr}`);
  return { stdout, stderr };
}

describe('bench runner (smoke)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs one scenario and reports it', async () => {
    const out = join(dir, 'results.json');
    const { stdout } = await runBench([
      ...['--scenario', 'discovery', '--out', out, '--profile'],
      ...['--introspection-cache-ttl', '0'],
    ]);

    const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    assert.equal(results.options.db, 'sqlite');
    assert.equal(results.options.introspectionCacheTtl, 0);
    assert.match(stdout, /introspection cache lifetime: 0 s \(off/);
    assert.ok(results.floor.fastify.requests > 0, 'the floor was measured');
    assert.equal(results.floor.argon2VerifyPerSecond, null, 'no login scenario, no argon2 floor');
    assert.deepEqual(
      results.scenarios.map((s) => s.name),
      ['discovery'],
    );
    const [discovery] = results.scenarios;
    assert.ok(discovery!.max!.requests > 0);
    assert.equal(discovery!.max!.errors, 0);
    assert.ok(discovery!.half!.requests > 0, 'the half-load run happened');
    assert.ok(discovery!.serverCpuSeconds! > 0, 'server CPU time read from /proc');
    assert.ok(discovery!.serverCpuSecondsAtMax! > 0, 'server CPU time of the max load alone');
    assert.ok(
      discovery!.serverCpuSecondsAtMax! <= discovery!.serverCpuSeconds!,
      'the max load is part of both loads',
    );
    assert.ok(results.floor.fastifyCpuSeconds! > 0, "the floor server's CPU time");
    const shaped = results.floor.introspectionShaped;
    assert.ok(shaped !== undefined && shaped.requests > 0, 'the same-shape floor was measured');
    assert.equal(shaped.errors, 0, 'the same-shape floor answered every request with a 2xx');
    assert.ok(results.floor.introspectionShapedCpuSeconds! > 0);
    assert.match(stdout, /Same-shape floor: .* \d+ req\/s/);
    assert.ok(results.serverPeakRssBytes > 0, 'server peak RSS read from /proc');
    assert.ok(results.targets.some((t) => t.name === 'server peak RSS (MB)' && t.value !== null));
    assert.deepEqual(results.peer, {}, 'no peer without a shared scenario');
    assert.match(stdout, /\| discovery \| \d+ \|/);
    assert.match(stdout, /µs CPU\/request/, 'the floor line gives its CPU per request');
    assert.match(stdout, /- discovery: × floor \d/, 'the CPU-time ratio of the scenario');
    assert.match(stdout, /Results written to /);
    assert.equal(results.rawTransactions, undefined, 'no raw PostgreSQL reference on SQLite');
    assert.equal(discovery!.databaseCpuSecondsAtMax, undefined, 'no database server on SQLite');
    assert.doesNotMatch(stdout, /raw transaction rate/);

    // --profile: the server's CPU profile of the maximum load, its collapsed stacks, a summary.
    const profile = discovery!.profile!;
    assert.ok(profile !== undefined, 'the scenario was profiled');
    const cpuprofile = JSON.parse(readFileSync(join(BENCH, profile.file), 'utf8')) as CpuProfile;
    assert.ok(cpuprofile.nodes.length > 0 && cpuprofile.samples.length > 0, 'a V8 CPU profile');
    const collapsed = readFileSync(join(BENCH, profile.collapsed), 'utf8');
    assert.match(collapsed, /^\S.* \d+$/m, 'collapsed stacks');
    // The server's (not the runner's) profile: its own request handling is on the stacks.
    assert.match(collapsed, /\(src\/http\/[^)]+\)/);
    assert.ok(profile.summary.totalMs > 0 && profile.summary.topSelf.length > 0);
    assert.match(stdout, /Where the time goes: CPU profiles/);
    assert.match(stdout, /- \*\*discovery\*\* \(`.*discovery\.cpuprofile`/);
  });

  it('measures the raw PostgreSQL transactions of the refresh grant beside it', async () => {
    const out = join(dir, 'postgres.json');
    const { stdout } = await runBench(['--db', 'postgres', '--scenario', 'refresh', '--out', out]);

    const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    assert.equal(results.options.db, 'postgres');
    assert.equal(results.options.introspectionCacheTtl, null, "the server's default");
    assert.equal(results.scenarios[0]?.profile, undefined, 'no profile without --profile');
    assert.ok(
      results.scenarios[0]!.databaseCpuSecondsAtMax! > 0,
      "PostgreSQL's CPU time during the maximum load",
    );
    assert.match(stdout, /- refresh: .*PostgreSQL CPU \d+ µs\/req/);
    assert.match(stdout, /PostgreSQL CPU per Gatehouse refresh: \d+ µs/);
    const [refresh] = results.scenarios;
    assert.equal(refresh?.name, 'refresh');
    assert.ok(refresh.max!.requests > 0, 'Gatehouse was loaded');
    assert.equal(refresh.max!.errors, 0);

    const raw = results.rawTransactions?.refresh;
    assert.ok(
      raw !== undefined && !('skipped' in raw),
      `the reference ran: ${JSON.stringify(raw)}`,
    );
    assert.deepEqual(raw.statements, REFRESH_SEQUENCE);
    assert.equal(raw.poolSize, databaseSchema.parse({ uri: 'postgresql://x/y' }).max_connections);
    assert.equal(raw.concurrency, 2, "the bench's connections");
    assert.ok(raw.transactions > 0 && raw.perSecond > 0, 'transactions were committed');
    assert.equal(raw.errors, 0, raw.firstError);
    assert.equal(
      raw.consumedRows,
      raw.totalTransactions,
      'every transaction consumed a fresh refresh token row',
    );
    assert.ok(raw.clientCpuSeconds > 0, "the client's CPU time");
    assert.ok(raw.postgresCpuSeconds !== null && raw.postgresCpuSeconds > 0, "PostgreSQL's CPU");

    const target = results.targets.find(
      (t) => t.name === 'refresh (PostgreSQL) / raw transaction rate',
    );
    assert.equal(target?.target, '≥ 0.5');
    assert.ok(
      target.value !== null && Math.abs(target.value - refresh.max!.rps / raw.perSecond) < 1e-9,
      'the ratio is Gatehouse refresh req/s ÷ raw tx/s',
    );
    assert.ok(
      !results.targets.some((t) => t.name === 'refresh / floor'),
      'the floor target is SQLite only',
    );
    assert.match(stdout, /Raw PostgreSQL transactions \(refresh\): .*\*\*\d+ tx\/s\*\*/);
    assert.match(stdout, /Gatehouse refresh ÷ raw: \d/);
    assert.match(stdout, /\| refresh \(PostgreSQL\) \/ raw transaction rate \| ≥ 0\.5 \| \d/);
  });
});
