// Loaded into the Gatehouse server under test with `--import` when the bench runs with
// `--profile` (never in production: only bench/run.ts sets it, through NODE_OPTIONS and
// GATEHOUSE_BENCH_PROFILE_DIR, and only in the server's environment). The runner sends SIGUSR2
// right before a scenario's maximum load and again right after it: the first signal starts V8's
// sampling profiler, the second stops it and writes the profile as `<n>.cpuprofile` (n = 1, 2, …
// in the order of the scenarios profiled) in that directory, so each profile covers exactly one
// maximum load and nothing else (no start-up, warm-up or half load).
//
// A `.cpuprofile` opens as a flame graph in Chrome DevTools (Performance panel) and in speedscope;
// ./profile-summary.ts also writes the collapsed-stack form flamegraph.pl and inferno read.

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

const directory = process.env.GATEHOUSE_BENCH_PROFILE_DIR;
// Only `gatehouse server` (the CLI commands the bench runs to set up do not get the variable,
// but a stray NODE_OPTIONS must not make them profile either).
if (directory !== undefined && directory !== '' && process.argv.includes('server')) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 100 µs between samples: an introspection costs ~50 µs, a coarser grid would miss most of it.
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  let running = false;
  let written = 0;
  let busy: Promise<void> = Promise.resolve();
  process.on('SIGUSR2', () => {
    busy = busy.then(async () => {
      if (!running) {
        await session.post('Profiler.start');
        running = true;
        return;
      }
      const { profile } = await session.post('Profiler.stop');
      running = false;
      written += 1;
      writeFileSync(join(directory, `${written}.cpuprofile`), JSON.stringify(profile));
    });
  });
}
