// `gatehouse server`: the HTTP listeners and, unless --no-worker, an in-process worker (MAS
// `mas-cli server`). Start-up order: configuration → secrets and keys → database (migrated unless
// --no-migrate) → listeners → worker. SIGTERM/SIGINT stop it in reverse: listeners stop accepting
// and let requests in flight finish, the worker finishes its jobs, the database is closed.
// SIGHUP reloads what can change without a restart.

import type { Command } from 'commander';
import { loadSecrets } from '../crypto/secrets-load.ts';
import { SecretsError } from '../crypto/secrets-error.ts';
import { HttpStartError, startHttpServers } from '../http/http-servers.ts';
import { createLogger, type LogLevel } from '../telemetry/logger.ts';
import { CliError, type CliContext } from './context.ts';
import { assertMigrated, catchSignals, migrate, openStorage } from './lifecycle.ts';
import { loadConfigForCommand, logLevelFor } from './load-config.ts';
import { startWorker } from './worker.ts';

/** How long in-flight requests get to finish on shutdown. */
const SHUTDOWN_GRACE_MS = 10_000;

interface ServerOptions {
  migrate: boolean;
  worker: boolean;
}

export function registerServerCommand(program: Command, ctx: CliContext): void {
  program
    .command('server')
    .description('run the HTTP listeners and, unless --no-worker, the background worker')
    .option('--no-migrate', 'do not apply pending database migrations on start')
    .option('--no-worker', 'do not run the background worker in this process')
    .action(async (options: ServerOptions, command: Command) => {
      const { config, files } = loadConfigForCommand(ctx, command);
      const logger = createLogger({
        level: logLevelFor(ctx, command) as LogLevel,
        clock: ctx.clock,
      });

      try {
        await loadSecrets(config.secrets);
      } catch (error) {
        if (error instanceof SecretsError) {
          throw new CliError(
            `invalid secrets:\n${error.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`,
          );
        }
        throw error;
      }

      const signals = catchSignals(() => {
        // Templates arrive with the login pages; until then there is nothing to reload.
        logger.info('SIGHUP received: nothing to reload in this version');
      });
      const { storage, where } = openStorage(config.database, ctx.cwd);
      try {
        if (options.migrate) {
          const applied = await migrate(storage, where);
          if (applied.length > 0)
            logger.info({ database: where, applied }, 'applied database migrations');
        } else {
          await assertMigrated(storage, where);
        }

        let http;
        try {
          http = await startHttpServers({
            http: config.http,
            telemetry: config.telemetry,
            health: storage,
            logger,
            rng: ctx.rng,
            clock: ctx.clock,
          });
        } catch (error) {
          if (error instanceof HttpStartError) throw new CliError(error.message);
          throw error;
        }
        const worker = options.worker
          ? await startWorker({ storage, clock: ctx.clock, rng: ctx.rng, logger })
          : null;
        logger.info(
          { config: files, database: where, listeners: http.addresses(), worker: worker !== null },
          'gatehouse server started',
        );

        const signal = await signals.stop;
        logger.info({ signal }, 'shutting down');
        await http.close(SHUTDOWN_GRACE_MS);
        await worker?.stop();
        logger.info('stopped');
      } finally {
        signals.dispose();
        await storage.close().catch(() => {});
      }
    });
}
