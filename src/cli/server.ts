// `gatehouse server`: the HTTP listeners and, unless --no-worker, an in-process worker (MAS
// `mas-cli server`). Start-up order: configuration → secrets, keys, password schemes, templates →
// database (migrated unless --no-migrate) → static clients synced (unless --no-sync) → listeners
// → worker. SIGTERM/SIGINT stop it in reverse: listeners stop accepting and let requests in flight
// finish, the worker finishes its jobs, the database is closed. SIGHUP reloads the templates.

import type { Command } from 'commander';
import { httpIssuer } from '../config/sections/http.ts';
import { loadPasswordManager } from '../crypto/password-manager.ts';
import { loadSecrets } from '../crypto/secrets-load.ts';
import type { AppContext } from '../http/app-context.ts';
import { UrlBuilder } from '../http/url-builder.ts';
import { openRateLimiter, type RateLimiter } from '../rate-limit/index.ts';
import { syncClients } from '../services/client-sync.ts';
import { syncProviders } from '../upstream/provider-sync.ts';
import { IntrospectionCache } from '../services/introspection-cache.ts';
import { postgresRevocationChannel } from '../services/revocation-channel.ts';
import { startPolicyData, type PolicyDataService } from '../services/policy-data-service.ts';
import { randomString } from '../rng.ts';
import { loadTemplates } from '../templates/templates.ts';
import { SecretsError } from '../crypto/secrets-error.ts';
import { HttpStartError, startHttpServers } from '../http/http-servers.ts';
import { createLogger, type LogLevel } from '../telemetry/logger.ts';
import { CliError, type CliContext } from './context.ts';
import { assertMigrated, catchSignals, migrate, oneLine, openStorage } from './lifecycle.ts';
import { jobServicesFor } from './job-services.ts';
import { loadConfigForCommand, logLevelFor } from './load-config.ts';
import { homeserverFor, startWorker } from './worker.ts';

/** How long in-flight requests get to finish on shutdown. */
const SHUTDOWN_GRACE_MS = 10_000;

interface ServerOptions {
  migrate: boolean;
  worker: boolean;
  sync: boolean;
}

export function registerServerCommand(program: Command, ctx: CliContext): void {
  program
    .command('server')
    .description('run the HTTP listeners and, unless --no-worker, the background worker')
    .option('--no-migrate', 'do not apply pending database migrations on start')
    .option('--no-worker', 'do not run the background worker in this process')
    .option(
      '--no-sync',
      'do not sync the static clients of the configuration to the database on start',
    )
    .action(async (options: ServerOptions, command: Command) => {
      const { config, files } = loadConfigForCommand(ctx, command);
      const logger = createLogger({
        level: logLevelFor(ctx, command) as LogLevel,
        clock: ctx.clock,
      });

      let secrets;
      try {
        secrets = await loadSecrets(config.secrets);
      } catch (error) {
        if (error instanceof SecretsError) {
          throw new CliError(
            `invalid secrets:\n${error.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`,
          );
        }
        throw error;
      }
      const passwords = await loadPasswordManager(config.passwords, { rng: ctx.rng }).catch(
        (error: unknown) => {
          throw new CliError(`passwords: ${oneLine(error)}`);
        },
      );
      const templates = loadTemplates({
        path: config.templates.path,
        translationsPath: config.templates.translations_path,
        branding: config.branding,
        ...(config.matrix ? { defaultServiceName: config.matrix.homeserver } : {}),
        logger,
      });

      const homeserver = homeserverFor(config, logger);

      const signals = catchSignals(() => {
        try {
          templates.reload();
          logger.info('SIGHUP received: templates reloaded');
        } catch (error) {
          logger.error(
            { error: oneLine(error) },
            'SIGHUP received: reloading the templates failed; keeping the previous ones',
          );
        }
      });
      const { storage, where } = openStorage(config.database, ctx.cwd);
      let introspectionCache: IntrospectionCache | null = null;
      let policyData: PolicyDataService | null = null;
      let rateLimiter: RateLimiter | null = null;
      try {
        if (options.migrate) {
          const applied = await migrate(storage, where);
          if (applied.length > 0)
            logger.info({ database: where, applied }, 'applied database migrations');
        } else {
          await assertMigrated(storage, where);
        }

        if (options.sync) {
          try {
            const report = await syncClients({
              clients: config.clients,
              storage,
              clock: ctx.clock,
              rng: ctx.rng,
              encrypter: secrets.encrypter,
            });
            if (report.added.length + report.updated.length > 0) {
              logger.info(
                { added: report.added, updated: report.updated },
                'synced static clients',
              );
            }
          } catch (error) {
            throw new CliError(`cannot sync the static clients: ${oneLine(error)}`);
          }
          try {
            const report = await syncProviders({
              providers: config.upstream_oauth2.providers,
              storage,
              clock: ctx.clock,
              rng: ctx.rng,
              encrypter: secrets.encrypter,
            });
            const changed = { ...report, unchanged: undefined };
            if (report.added.length + report.updated.length + report.disabled.length > 0) {
              logger.info(changed, 'synced upstream providers');
            }
          } catch (error) {
            throw new CliError(`cannot sync the upstream providers: ${oneLine(error)}`);
          }
        }

        // Recent active introspection answers; on PostgreSQL, revocations reach every node.
        const pool = storage.connection.pool;
        introspectionCache = new IntrospectionCache({
          clock: ctx.clock,
          ttlMs: config.oauth.introspection_cache_ttl * 1000,
          channel:
            pool !== null && storage.connection.dialect.supportsNotify
              ? postgresRevocationChannel(pool, logger)
              : null,
          nodeId: randomString(ctx.rng, '0123456789abcdef', 16),
          // SQLite: what the `manage` CLI changes in the file is seen at the next lookup.
          externalChangeVersion: storage.connection.externalChangeVersion,
        });
        await introspectionCache.start();
        rateLimiter = await openRateLimiter({
          config: config.rate_limiting,
          pool: storage.connection.pool,
          logger,
        }).catch((error: unknown) => {
          throw new CliError(`rate limits: ${oneLine(error)}`);
        });
        // Policy data posted through the Admin API, merged over the configuration's.
        policyData = await startPolicyData({
          storage,
          pool: storage.connection.dialect.supportsNotify ? pool : null,
          policy: config.policy,
          logger,
        });
        const app: AppContext = {
          config: policyData.liveConfig(config),
          policyData,
          storage,
          clock: ctx.clock,
          rng: ctx.rng,
          keystore: secrets.keystore,
          encrypter: secrets.encrypter,
          passwords,
          rateLimiter,
          templates,
          urls: new UrlBuilder(config.http.public_base, httpIssuer(config.http)),
          logger,
          introspectionCache,
          homeserver,
        };
        let http;
        try {
          http = await startHttpServers({
            http: config.http,
            telemetry: config.telemetry,
            health: storage,
            app,
            logger,
            rng: ctx.rng,
            clock: ctx.clock,
          });
        } catch (error) {
          if (error instanceof HttpStartError) throw new CliError(error.message);
          throw error;
        }
        const worker = options.worker
          ? await startWorker({
              storage,
              clock: ctx.clock,
              rng: ctx.rng,
              logger,
              homeserver,
              services: jobServicesFor(config, templates, logger),
            })
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
        await introspectionCache?.stop();
        await policyData?.stop();
        await rateLimiter?.close();
        await storage.close().catch(() => {});
      }
    });
}
