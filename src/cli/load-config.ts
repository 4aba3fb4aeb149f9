// Shared by every command that needs the configuration: find the files, load and validate them,
// and turn problems into one CliError listing all of them.

import type { Command } from 'commander';
import { configPaths, formatProblems, loadConfig } from '../config/load.ts';
import type { RootConfig } from '../config/root.ts';
import { CliError, type CliContext, type GlobalOptions } from './context.ts';

export interface LoadedConfig {
  config: RootConfig;
  files: string[];
}

export function loadConfigForCommand(ctx: CliContext, command: Command): LoadedConfig {
  const options = command.optsWithGlobals<GlobalOptions>();
  const files = configPaths({ cliPaths: options.config, env: ctx.env, cwd: ctx.cwd });
  const result = loadConfig(files);
  if (!result.ok) {
    throw new CliError(`invalid configuration:\n${formatProblems(result.problems)}`);
  }
  return { config: result.config, files };
}

/** --log-level, else $GATEHOUSE_LOG, else info. */
export function logLevelFor(ctx: CliContext, command: Command): string {
  const options = command.optsWithGlobals<GlobalOptions>();
  const level = options.logLevel ?? ctx.env.GATEHOUSE_LOG ?? 'info';
  const known = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  if (!known.includes(level))
    throw new CliError(`unknown log level "${level}" (expected one of ${known.join(', ')})`);
  return level;
}
