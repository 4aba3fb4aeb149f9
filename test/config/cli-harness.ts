// Runs `gatehouse config ...` in-process through the shared CLI harness (test/helpers/cli.ts):
// registerConfigCommands on a fresh commander program, with a fresh mock clock and a seeded RNG.

import { registerConfigCommands } from '../../src/cli/config.ts';
import { MockClock } from '../../src/clock.ts';
import { SeededRng } from '../../src/rng.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

export { tempDir, type CliRun } from '../helpers/cli.ts';

export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  seed?: string;
}

export function runConfigCli(argv: string[], options: RunOptions): Promise<CliRun> {
  return runCli(argv, registerConfigCommands, {
    cwd: options.cwd,
    env: options.env ?? {},
    clock: new MockClock(),
    rng: new SeededRng(options.seed ?? 'config-cli'),
  });
}
