// The whole homeserver deployment the Synapse suite runs against, all on 127.0.0.1:
//
//   client ──► reverse proxy ──► Synapse 1.163 (SQLite)  ──introspection──► Gatehouse
//                  └─ /_matrix/client/*/(login|logout|refresh) ─────────────► Gatehouse
//                                 Synapse ◄── /_synapse/mas/* (provisioning, devices) ── Gatehouse
//
// Gatehouse runs as a real `gatehouse server` process (config from `config generate`, with a
// `matrix` section pointing at Synapse), users are made with `gatehouse manage register-user`.
// Start order: proxy → Synapse → Gatehouse, so the provisioning jobs queued at registration find
// Synapse up. `stop()` ends everything and removes the temp dirs.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ensureSynapseEnv } from '../../scripts/synapse-env.ts';
import { freePort } from '../helpers/postgres.ts';
import {
  runGatehouse,
  waitForStatus,
  writeTestConfig,
  type RunningProcess,
  type TestConfig,
} from '../helpers/server-process.ts';
import { startReverseProxy, type ReverseProxy } from './reverse-proxy.ts';
import { SynapseProcess } from './synapse-process.ts';

export const SERVER_NAME = 'synapse.test';

export interface CommandResult {
  readonly code: number | string;
  readonly output: string;
}

export interface SynapseStack {
  readonly synapse: SynapseProcess;
  readonly proxy: ReverseProxy;
  /** The homeserver base URL clients use (the proxy). */
  readonly baseUrl: string;
  /** Gatehouse's own URL (`http.public_base`, the issuer), with a trailing slash. */
  readonly gatehouseUrl: string;
  readonly gatehouse: RunningProcess;
  readonly config: TestConfig;
  /** Gatehouse's SQLite database, for the checks no API shows (e.g. no orphan session). */
  readonly databaseFile: string;
  /** `matrix.secret` = `matrix_authentication_service.secret`. */
  readonly secret: string;
  readonly serverName: string;
  mxid(localpart: string): string;
  /** Runs `gatehouse -c <config> <args>` to completion. */
  gatehouseCli(args: string[]): Promise<CommandResult>;
  /**
   * `manage register-user`, then waits until the provisioning job has created the user on Synapse
   * (as in MAS it runs in the background; a login before that fails to create its device).
   * Throws when either fails.
   */
  registerUser(
    username: string,
    password: string,
    extra?: string[],
    options?: { waitForSynapse?: boolean },
  ): Promise<void>;
  /** Calls Synapse's `/_synapse/mas/*` API directly with the shared secret. */
  masApi(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  /** The end of every process's output, for failure messages. */
  diagnostics(): string;
  stop(): Promise<void>;
}

/** Makes the Synapse venv when missing (minutes, once), then starts the whole stack. */
export async function startSynapseStack(
  options: { gatehouseConfig?: Record<string, Record<string, unknown>> } = {},
): Promise<SynapseStack> {
  const python = await ensureSynapseEnv((line) => process.stderr.write(`# ${line}\n`));
  const secret = randomBytes(24).toString('hex');
  const synapseDir = mkdtempSync(join(tmpdir(), 'gatehouse-synapse-'));
  const synapsePort = await freePort();
  const config = await writeTestConfig();
  const gatehouseUrl = `http://127.0.0.1:${config.webPort}/`;
  const synapseUrl = `http://127.0.0.1:${synapsePort}/`;

  const cleanups: (() => Promise<void> | void)[] = [
    () => rmSync(synapseDir, { recursive: true, force: true }),
    () => config.cleanup(),
  ];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) await step();
  };

  try {
    const proxy = await startReverseProxy({ synapse: synapseUrl, gatehouse: gatehouseUrl });
    cleanups.push(() => proxy.close());

    const synapse = new SynapseProcess({
      python,
      dir: synapseDir,
      port: synapsePort,
      serverName: SERVER_NAME,
      publicBaseUrl: `${proxy.url}/`,
      gatehouseUrl,
      secret,
    });
    await synapse.start();
    cleanups.push(() => synapse.stop());

    const doc = parse(readFileSync(config.path, 'utf8')) as Record<string, Record<string, unknown>>;
    doc.matrix = {
      kind: 'synapse',
      homeserver: SERVER_NAME,
      endpoint: synapseUrl,
      secret,
    };
    // The suite signs in far more often than a person would from one address.
    const unlimited = { burst: 10_000, per_second: 1000 };
    doc.rate_limiting = {
      ...doc.rate_limiting,
      login: { per_ip: unlimited, per_account: unlimited },
    };
    for (const [section, value] of Object.entries(options.gatehouseConfig ?? {})) {
      doc[section] = { ...doc[section], ...value };
    }
    writeFileSync(config.path, stringify(doc));

    const cli = async (args: string[]): Promise<CommandResult> => {
      const run = runGatehouse(['-c', config.path, ...args]);
      const code = await run.exited;
      return { code, output: run.output() };
    };
    const migrated = await cli(['database', 'migrate']);
    if (migrated.code !== 0) throw new Error(`database migrate failed:\n${migrated.output}`);

    const gatehouse = runGatehouse(['-c', config.path, 'server'], {
      env: { NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
    });
    cleanups.push(async () => {
      gatehouse.child.kill('SIGTERM');
      const timer = setTimeout(() => gatehouse.child.kill('SIGKILL'), 10_000);
      await gatehouse.exited;
      clearTimeout(timer);
    });
    try {
      await waitForStatus(`${gatehouseUrl}.well-known/openid-configuration`, 200, 30_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${gatehouse.output()}`, { cause: error });
    }

    const stack: SynapseStack = {
      synapse,
      proxy,
      baseUrl: proxy.url,
      gatehouseUrl,
      gatehouse,
      config,
      databaseFile: join(config.dir, 'gatehouse.db'),
      secret,
      serverName: SERVER_NAME,
      mxid: (localpart) => `@${localpart}:${SERVER_NAME}`,
      gatehouseCli: cli,
      async registerUser(username, password, extra = [], { waitForSynapse = true } = {}) {
        const args = ['manage', 'register-user', username, '--password', password, ...extra];
        const result = await cli(args);
        if (result.code !== 0) {
          throw new Error(
            `manage register-user ${username} failed (${result.code}):\n${result.output}`,
          );
        }
        if (!waitForSynapse) return;
        const deadline = performance.now() + 15_000;
        for (;;) {
          const response = await stack.masApi(
            `query_user?localpart=${encodeURIComponent(username)}`,
          );
          await response.arrayBuffer();
          if (response.status === 200) return;
          if (performance.now() > deadline) {
            throw new Error(
              `${username} was not provisioned on Synapse within 15 s (query_user: ${response.status})`,
            );
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      masApi(path, init = {}) {
        return fetch(new URL(`_synapse/mas/${path.replace(/^\//, '')}`, synapseUrl), {
          method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
          headers: {
            authorization: `Bearer ${secret}`,
            ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
        });
      },
      diagnostics() {
        return (
          `--- gatehouse output ---\n${gatehouse.output().slice(-6000)}\n` +
          `--- proxy (last routes) ---\n${proxy.log.slice(-30).join('\n')}\n` +
          synapse.diagnostics(40)
        );
      },
      stop: cleanup,
    };
    return stack;
  } catch (error) {
    await cleanup();
    throw error;
  }
}
