// The `gatehouse` command: global options, one command group per file in this folder, and the one
// place where errors become a one-line message and an exit code.
//
// To add a command group: write `src/cli/<group>.ts` exporting `register<Group>Commands(program, ctx)`
// and call it below. Commands throw `CliError` for anything the user got wrong.

import packageJson from '../../package.json' with { type: 'json' };
import { Command, CommanderError, Option } from 'commander';
import { systemClock } from '../clock.ts';
import { systemRng } from '../rng.ts';
import { registerConfigCommands } from './config.ts';
import { CliError, type CliContext } from './context.ts';
import { registerDatabaseCommands } from './database.ts';
import { registerManageCommands } from './manage.ts';
import { registerServerCommand } from './server.ts';
import { registerTemplatesCommands } from './templates.ts';
import { registerWorkerCommand } from './worker.ts';

export interface ProcessEdges {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('gatehouse')
    .description(
      'OAuth 2.0 / OpenID Connect authentication service for Matrix homeservers and any app',
    )
    .version(VERSION, '-V, --version')
    .option(
      '-c, --config <file>',
      'configuration file; repeat to merge several (default: $GATEHOUSE_CONFIG or $MAS_CONFIG, colon-separated, else ./config.yaml)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .addOption(
      new Option('--log-level <level>', 'log level (default: $GATEHOUSE_LOG, else info)').choices([
        ...LOG_LEVELS,
      ]),
    )
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) })
    .exitOverride();

  registerServerCommand(program, ctx);
  registerWorkerCommand(program, ctx);
  registerConfigCommands(program, ctx);
  registerDatabaseCommands(program, ctx);
  registerManageCommands(program, ctx);
  registerTemplatesCommands(program, ctx);

  for (const command of program.commands)
    command.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** The version in package.json: one place, shared with the Admin API's `/version`. */
export const VERSION: string = packageJson.version;

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function main(
  argv: string[],
  edges: ProcessEdges,
  io?: Pick<CliContext, 'out' | 'err'>,
): Promise<number> {
  const ctx: CliContext = {
    env: edges.env,
    cwd: edges.cwd,
    clock: systemClock,
    rng: systemRng,
    out: io?.out ?? ((s) => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`)),
    err: io?.err ?? ((s) => void process.stderr.write(s.endsWith('\n') ? s : `${s}\n`)),
  };
  const program = buildProgram(ctx);
  // With no command, run the server, as MAS does.
  const commandNames = new Set([
    'help',
    ...program.commands.flatMap((c) => [c.name(), ...c.aliases()]),
  ]);
  const asksForHelp = argv.some((a) => ['-h', '--help', '-V', '--version'].includes(a));
  const args = asksForHelp || argv.some((a) => commandNames.has(a)) ? argv : [...argv, 'server'];
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed help or the usage error.
      return error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version'
        ? 0
        : 2;
    }
    const debug = argv.includes('--debug');
    if (error instanceof CliError) {
      ctx.err(`error: ${error.message}`);
      if (debug && error.stack) ctx.err(error.stack);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    ctx.err(`error: ${message}`);
    if (debug && error instanceof Error && error.stack) ctx.err(error.stack);
    else ctx.err('(run with --debug for details)');
    return 1;
  }
}
