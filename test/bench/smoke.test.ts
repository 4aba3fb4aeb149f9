// The benchmark runner works end to end: one short scenario (discovery, ~1 s of load) against a
// real server process, the floor measured, results written as JSON and a Markdown table printed.
// Only the structure is checked: timings are the benchmark's business, never a test's.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BenchResults } from '../../bench/report.ts';

const RUNNER = join(import.meta.dirname, '..', '..', 'bench', 'run.ts');

describe('bench runner (smoke)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs one scenario and reports it', async () => {
    const out = join(dir, 'results.json');
    const child = spawn(
      process.execPath,
      [
        RUNNER,
        '--scenario',
        'discovery',
        '--duration',
        '1',
        '--warmup',
        '0',
        '--connections',
        '2',
        '--tokens',
        '10',
        '--out',
        out,
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

    const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    assert.equal(results.options.db, 'sqlite');
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
    assert.ok(results.serverPeakRssBytes > 0, 'server peak RSS read from /proc');
    assert.ok(results.targets.some((t) => t.name === 'server peak RSS (MB)' && t.value !== null));
    assert.deepEqual(results.peer, {}, 'no peer without a shared scenario');
    assert.match(stdout, /\| discovery \| \d+ \|/);
    assert.match(stdout, /µs CPU\/request/, 'the floor line gives its CPU per request');
    assert.match(stdout, /- discovery: × floor \d/, 'the CPU-time ratio of the scenario');
    assert.match(stdout, /Results written to /);
  });
});
