// Runs `gatehouse config ...` in-process: registerConfigCommands on a fresh commander program with a
// CliContext that captures output, and the same error handling as src/cli/main.ts (CliError → one
// line and its exit code).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerConfigCommands } from '../../src/cli/config.ts';
import { CliError, type CliContext } from '../../src/cli/context.ts';
import { MockClock } from '../../src/clock.ts';
import { SeededRng } from '../../src/rng.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  seed?: string;
}

export async function runConfigCli(argv: string[], options: RunOptions): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    env: options.env ?? {},
    cwd: options.cwd,
    clock: new MockClock(),
    rng: new SeededRng(options.seed ?? 'config-cli'),
    out: (s) => void out.push(s),
    err: (s) => void err.push(s),
  };
  const program = new Command('gatehouse')
    .option(
      '-c, --config <file>',
      'configuration file',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) })
    .exitOverride();
  registerConfigCommands(program, ctx);
  for (const command of program.commands) {
    command.exitOverride().configureOutput(program.configureOutput());
    for (const sub of command.commands)
      sub.exitOverride().configureOutput(program.configureOutput());
  }
  let code = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CliError) {
      err.push(`error: ${error.message}`);
      code = error.exitCode;
    } else if (error instanceof CommanderError) {
      code = error.exitCode === 0 ? 0 : 2;
    } else {
      throw error;
    }
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A fresh temporary directory and a function that removes it. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
