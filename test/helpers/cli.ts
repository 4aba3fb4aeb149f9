// Runs `gatehouse` command groups in-process, the way src/cli/main.ts does: a fresh commander
// program with the global `-c` option, a CliContext that captures output, and the same error
// handling (CliError → one line and its exit code; a commander usage error → exit code 2).
// Also the fixture the `manage` tests share: a temp folder with a config file pointing at a fresh
// migrated database.
//
//   const run = manageRunner(clock, 'accounts');
//   const f = await openManageFixture('sqlite');
//   const result = await run(['-c', f.config, 'manage', 'register-user', 'alice'], f.dir);

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { CliError, type CliContext } from '../../src/cli/context.ts';
import { registerManageCommands } from '../../src/cli/manage.ts';
import type { Clock, MockClock } from '../../src/clock.ts';
import { SeededRng, type Rng } from '../../src/rng.ts';
import { openTestStorage, type TestDialect, type TestStorage } from './storage.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface CliEdges {
  cwd: string;
  clock: Clock;
  rng: Rng;
  env?: Record<string, string | undefined>;
}

/** Registers one command group on the program, as `register<Group>Commands` in src/cli/ do. */
export type RegisterCommands = (program: Command, ctx: CliContext) => void;

/** Runs `argv` (without the program name) against the commands `register` adds. */
export async function runCli(
  argv: string[],
  register: RegisterCommands,
  edges: CliEdges,
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    env: edges.env ?? {},
    cwd: edges.cwd,
    clock: edges.clock,
    rng: edges.rng,
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
  register(program, ctx);
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

/**
 * A runner for `gatehouse manage …`: each run one second after the last on `clock` (so rows are
 * ordered as they were made), with an RNG seeded from `seed`, the arguments and the time, and
 * `stdin` as standard input when given.
 */
export function manageRunner(
  clock: MockClock,
  seed: string,
): (argv: string[], cwd: string, stdin?: string) => Promise<CliRun> {
  return (argv, cwd, stdin) => {
    clock.advance(1000);
    return runCli(
      argv,
      (program, ctx) =>
        registerManageCommands(
          program,
          ctx,
          stdin === undefined ? {} : { stdin: Readable.from([stdin]) },
        ),
      {
        cwd,
        clock,
        rng: new SeededRng(`${seed}:${argv.join(' ')}:${clock.now().getTime()}`),
      },
    );
  };
}

/** A fresh temporary directory and a function that removes it. */
export function tempDir(prefix = 'gatehouse-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes `dir/name`: the database at `uri` and an encryption secret (what every `manage` command
 * needs), then `extra` YAML. Returns the file's path.
 */
export function writeCliConfig(dir: string, uri: string, extra = '', name = 'config.yaml'): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `database:\n  uri: ${JSON.stringify(uri)}\nsecrets:\n  encryption: ${'ab'.repeat(32)}\n${extra}`,
  );
  return file;
}

export interface ManageFixture {
  /** A fresh temporary folder, the commands' working directory. */
  dir: string;
  t: TestStorage;
  /** `dir/config.yaml`, written by `writeCliConfig` with the fixture's extra YAML. */
  config: string;
  /** Closes the database and removes the folder. */
  cleanup(): Promise<void>;
}

/** A temp folder with a config file pointing at a fresh migrated database of the dialect. */
export async function openManageFixture(dialect: TestDialect, extra = ''): Promise<ManageFixture> {
  const { dir, cleanup: removeDir } = tempDir();
  let t: TestStorage;
  try {
    t = await openTestStorage(dialect);
  } catch (error) {
    removeDir();
    throw error;
  }
  return {
    dir,
    t,
    config: writeCliConfig(dir, t.uri, extra),
    cleanup: async () => {
      await t.cleanup();
      removeDir();
    },
  };
}
