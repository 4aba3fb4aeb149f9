// `gatehouse config ...`: check, dump, generate and export the schema of the configuration file,
// and `sync` the static clients it declares into the database.

import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { generateConfig, GenerateConfigError } from '../config/generate.ts';
import { configJsonSchemaText } from '../config/json-schema.ts';
import { configPaths, formatProblems, loadConfig, type ConfigProblem } from '../config/load.ts';
import type { RootConfig } from '../config/root.ts';
import { SecretsError } from '../crypto/secrets-error.ts';
import { loadSecrets } from '../crypto/secrets-load.ts';
import { ClientSyncError, syncClients, type ClientSyncReport } from '../services/client-sync.ts';
import {
  ProviderSyncError,
  syncProviders,
  type ProviderSyncReport,
} from '../upstream/provider-sync.ts';
import { CliError, type CliContext, type GlobalOptions } from './context.ts';
import { assertMigrated, openStorage } from './lifecycle.ts';

interface OutputOptions {
  output?: string;
  force?: boolean;
}

export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program
    .command('config')
    .description('check, dump, generate the configuration, or print its JSON Schema');

  config
    .command('check')
    .description('validate the merged configuration files and load the keys; list every problem')
    .action(async (_options: unknown, command: Command) => {
      const files = filesFor(ctx, command);
      const result = loadConfig(files);
      if (!result.ok) failWithProblems(ctx, result.problems);
      const problems: ConfigProblem[] = [];
      try {
        await loadSecrets(result.config.secrets);
      } catch (error) {
        if (!(error instanceof SecretsError)) throw error;
        for (const p of error.problems)
          problems.push({ file: result.fileOf(p.path), path: p.path, message: p.message });
      }
      if (problems.length > 0) failWithProblems(ctx, problems);
      ctx.out('configuration OK');
      for (const note of notesFor(result.config)) ctx.out(`note: ${note}`);
    });

  config
    .command('dump')
    .description('print the merged configuration, with defaults, as YAML')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('--force', 'overwrite the output file if it exists')
    .action((options: OutputOptions, command: Command) => {
      refuseOverwrite(ctx, options);
      const result = loadConfig(filesFor(ctx, command));
      if (!result.ok) failWithProblems(ctx, result.problems);
      emit(ctx, stringify(result.config, { lineWidth: 0 }), options, 0o600);
    });

  config
    .command('generate')
    .description('write a new configuration with random secrets and keys')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('--force', 'overwrite the output file if it exists')
    .option('--database <uri>', 'database URI (default: sqlite:data/gatehouse.db)')
    .option('--public-base <url>', 'public URL of the service (default: http://localhost:8080/)')
    .option('--listen <address>', 'HOST:PORT of the public listener (default: 0.0.0.0:8080)')
    .action(
      async (
        options: OutputOptions & { database?: string; publicBase?: string; listen?: string },
      ) => {
        refuseOverwrite(ctx, options);
        let text: string;
        try {
          text = await generateConfig({
            rng: ctx.rng,
            database: options.database,
            publicBase: options.publicBase,
            listenAddress: options.listen,
          });
        } catch (error) {
          if (error instanceof GenerateConfigError) throw new CliError(error.message);
          throw error;
        }
        emit(ctx, text, options, 0o600);
      },
    );

  config
    .command('sync')
    .description(
      'write the static clients (`clients`) and upstream providers (`upstream_oauth2`) of the configuration to the database',
    )
    .option(
      '--prune',
      'delete static clients and upstream providers (with their links) that are no longer in the configuration',
    )
    .option('--dry-run', 'only print what would change')
    .action(async (options: { prune?: boolean; dryRun?: boolean }, command: Command) => {
      const result = loadConfig(filesFor(ctx, command));
      if (!result.ok) failWithProblems(ctx, result.problems);
      const { config } = result;
      let encrypter;
      try {
        ({ encrypter } = await loadSecrets(config.secrets));
      } catch (error) {
        if (!(error instanceof SecretsError)) throw error;
        throw new CliError(
          `invalid secrets:\n${error.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`,
        );
      }
      const { storage, where } = openStorage(config.database, ctx.cwd);
      try {
        await assertMigrated(storage, where);
        const report = await syncClients({
          clients: config.clients,
          storage,
          clock: ctx.clock,
          rng: ctx.rng,
          encrypter,
          prune: options.prune === true,
          dryRun: options.dryRun === true,
        });
        for (const line of syncReportLines(report, options.dryRun === true)) ctx.out(line);
        const providers = await syncProviders({
          providers: config.upstream_oauth2.providers,
          storage,
          clock: ctx.clock,
          rng: ctx.rng,
          encrypter,
          prune: options.prune === true,
          dryRun: options.dryRun === true,
        });
        for (const line of providerSyncReportLines(providers, options.dryRun === true))
          ctx.out(line);
      } catch (error) {
        if (error instanceof ClientSyncError) throw new CliError(error.message);
        if (error instanceof ProviderSyncError) throw new CliError(error.message);
        throw error;
      } finally {
        await storage.close().catch(() => {});
      }
    });

  config
    .command('schema')
    .description('print the JSON Schema (draft 2020-12) of the configuration file')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action((options: OutputOptions) => {
      // Regenerating docs/config.schema.json is the common use, so this one overwrites.
      emit(ctx, configJsonSchemaText(), { ...options, force: true }, 0o644);
    });
}

/** One line per client that changes, then a summary. */
export function syncReportLines(report: ClientSyncReport, dryRun: boolean): string[] {
  const verb = (done: string, would: string) => (dryRun ? would : done);
  return [
    ...report.added.map((id) => `${verb('added', 'would add')} client ${id}`),
    ...report.updated.map((id) => `${verb('updated', 'would update')} client ${id}`),
    ...report.removed.map((id) => `${verb('removed', 'would remove')} client ${id}`),
    `${dryRun ? 'dry run: ' : ''}${report.added.length} added, ${report.updated.length} updated, ` +
      `${report.unchanged.length} unchanged, ${report.removed.length} removed`,
  ];
}

/** One line per upstream provider that changes, then a summary. */
export function providerSyncReportLines(report: ProviderSyncReport, dryRun: boolean): string[] {
  const verb = (done: string, would: string) => (dryRun ? would : done);
  return [
    ...report.added.map((id) => `${verb('added', 'would add')} upstream provider ${id}`),
    ...report.updated.map((id) => `${verb('updated', 'would update')} upstream provider ${id}`),
    ...report.disabled.map(
      (id) =>
        `${verb('disabled', 'would disable')} upstream provider ${id} (no longer configured; --prune deletes it)`,
    ),
    ...report.removed.map(
      (id) => `${verb('removed', 'would remove')} upstream provider ${id} and its links`,
    ),
    `${dryRun ? 'dry run: ' : ''}upstream providers: ${report.added.length} added, ` +
      `${report.updated.length} updated, ${report.unchanged.length} unchanged, ` +
      `${report.disabled.length} disabled, ${report.removed.length} removed`,
  ];
}

function filesFor(ctx: CliContext, command: Command): string[] {
  const options = command.optsWithGlobals<GlobalOptions>();
  return configPaths({ cliPaths: options.config, env: ctx.env, cwd: ctx.cwd });
}

function failWithProblems(ctx: CliContext, problems: readonly ConfigProblem[]): never {
  ctx.err(formatProblems(problems));
  const count = problems.length;
  throw new CliError(`the configuration has ${count} problem${count === 1 ? '' : 's'}`);
}

/** Advice that does not stop the configuration from loading. */
function notesFor(config: RootConfig): string[] {
  const notes: string[] = [];
  if (config.matrix === undefined)
    notes.push('no matrix section: Gatehouse runs as a standalone OpenID provider');
  if (!config.passwords.enabled && config.upstream_oauth2.providers.every((p) => !p.enabled)) {
    notes.push('passwords are disabled and no upstream provider is enabled: nobody can sign in');
  }
  if (!config.http.public_base.startsWith('https:')) {
    notes.push(
      `http.public_base (${config.http.public_base}) is not https: fine for testing, not for production`,
    );
  }
  return notes;
}

/** Checked before the slow work; the write itself also refuses to replace a file without --force. */
function refuseOverwrite(ctx: CliContext, options: OutputOptions): void {
  if (options.output === undefined || options.force) return;
  if (existsSync(resolve(ctx.cwd, options.output))) {
    throw new CliError(`${options.output} already exists; use --force to overwrite it`);
  }
}

function emit(ctx: CliContext, text: string, options: OutputOptions, mode: number): void {
  if (options.output === undefined) {
    ctx.out(text.endsWith('\n') ? text.slice(0, -1) : text);
    return;
  }
  const path = resolve(ctx.cwd, options.output);
  try {
    writeFileSync(path, text, { mode, flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') {
      throw new CliError(`${options.output} already exists; use --force to overwrite it`);
    }
    throw new CliError(`cannot write ${options.output}: ${(error as Error).message}`);
  }
  ctx.err(`wrote ${options.output}`);
}
