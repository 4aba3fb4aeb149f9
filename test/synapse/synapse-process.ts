// A real Synapse for the tests: writes a signing key, a log config and a `homeserver.yaml` into a
// temp dir (SQLite, one loopback client listener, no federation, registration off, rate limits
// out of the way, authentication delegated to Gatehouse through `matrix_authentication_service`)
// and runs `python -m synapse.app.homeserver` from the venv that scripts/synapse-env.ts makes.
//
// `stop()` and `start()` may be called again on the same instance (same port, same database) so a
// test can take the homeserver down and bring it back.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { pythonEnv } from '../../scripts/synapse-env.ts';

export interface SynapseOptions {
  /** The venv's python. */
  readonly python: string;
  /** A private directory for the config, database, media and logs. */
  readonly dir: string;
  readonly port: number;
  /** Synapse `server_name` (Gatehouse `matrix.homeserver`). */
  readonly serverName: string;
  /** The URL clients use (the reverse proxy). */
  readonly publicBaseUrl: string;
  /** Where Synapse reaches Gatehouse (`matrix_authentication_service.endpoint`). */
  readonly gatehouseUrl: string;
  /** The secret shared with Gatehouse (`matrix.secret`). */
  readonly secret: string;
}

/** Rate limits high enough that no test is ever throttled by Synapse. */
const UNLIMITED = { per_second: 10_000, burst_count: 10_000 };

export function homeserverConfig(options: SynapseOptions): Record<string, unknown> {
  const { dir } = options;
  return {
    server_name: options.serverName,
    public_baseurl: options.publicBaseUrl,
    pid_file: join(dir, 'homeserver.pid'),
    listeners: [
      {
        port: options.port,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        tls: false,
        x_forwarded: true,
        // `client` also mounts /_synapse/mas, /_synapse/admin and /.well-known/matrix/client.
        resources: [{ names: ['client'], compress: false }],
      },
    ],
    database: { name: 'sqlite3', args: { database: join(dir, 'homeserver.db') } },
    media_store_path: join(dir, 'media'),
    signing_key_path: join(dir, 'signing.key'),
    log_config: join(dir, 'log.yaml'),
    report_stats: false,
    enable_metrics: false,
    // No federation: no key servers, no remote server allowed.
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    federation_domain_whitelist: [],
    enable_registration: false,
    serve_client_wellknown: true,
    rc_message: UNLIMITED,
    rc_registration: UNLIMITED,
    rc_login: { address: UNLIMITED, account: UNLIMITED, failed_attempts: UNLIMITED },
    rc_admin_redaction: UNLIMITED,
    rc_joins: { local: UNLIMITED, remote: UNLIMITED },
    rc_invites: { per_room: UNLIMITED, per_user: UNLIMITED, per_issuer: UNLIMITED },
    rc_3pid_validation: UNLIMITED,
    rc_presence: { per_user: UNLIMITED },
    rc_delayed_event_mgmt: UNLIMITED,
    matrix_authentication_service: {
      enabled: true,
      endpoint: options.gatehouseUrl,
      secret: options.secret,
    },
  };
}

function logConfig(file: string): Record<string, unknown> {
  return {
    version: 1,
    formatters: {
      precise: { format: '%(asctime)s %(levelname)s %(name)s %(request)s %(message)s' },
    },
    filters: { context: { '()': 'synapse.logging.context.LoggingContextFilter', request: '' } },
    handlers: {
      file: {
        class: 'logging.FileHandler',
        formatter: 'precise',
        filename: file,
        filters: ['context'],
        encoding: 'utf8',
      },
    },
    loggers: { 'synapse.storage.SQL': { level: 'WARNING' }, twisted: { level: 'WARNING' } },
    root: { level: 'INFO', handlers: ['file'] },
    disable_existing_loggers: false,
  };
}

/** Synapse's signing key file: `ed25519 <key id> <unpadded base64 seed>`. */
function signingKey(): string {
  const id = `a_${randomBytes(3).toString('hex').slice(0, 4)}`;
  return `ed25519 ${id} ${randomBytes(32).toString('base64').replace(/=+$/, '')}\n`;
}

export class SynapseProcess {
  readonly options: SynapseOptions;
  readonly url: string;
  readonly logFile: string;
  #child: ChildProcess | null = null;
  #exited: Promise<number | string> | null = null;
  #output = '';

  constructor(options: SynapseOptions) {
    this.options = options;
    this.url = `http://127.0.0.1:${options.port}`;
    this.logFile = join(options.dir, 'homeserver.log');
    mkdirSync(join(options.dir, 'media'), { recursive: true });
    const keyFile = join(options.dir, 'signing.key');
    if (!existsSync(keyFile)) writeFileSync(keyFile, signingKey());
    writeFileSync(join(options.dir, 'log.yaml'), stringify(logConfig(this.logFile)));
    writeFileSync(join(options.dir, 'homeserver.yaml'), stringify(homeserverConfig(options)));
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** Starts Synapse and waits until `/_matrix/client/versions` answers (the first start migrates the schema). */
  async start(timeoutMs = 120_000): Promise<void> {
    if (this.#child !== null) throw new Error('Synapse is already running');
    const child = spawn(
      this.options.python,
      ['-m', 'synapse.app.homeserver', '-c', join(this.options.dir, 'homeserver.yaml')],
      { cwd: this.options.dir, env: pythonEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    child.stdout!.on(
      'data',
      (d: Buffer) => (this.#output = (this.#output + d.toString()).slice(-20_000)),
    );
    child.stderr!.on(
      'data',
      (d: Buffer) => (this.#output = (this.#output + d.toString()).slice(-20_000)),
    );
    this.#exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
    );
    const deadline = performance.now() + timeoutMs;
    let last = 'no answer';
    while (performance.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.#child = null;
        throw new Error(
          `Synapse exited (${child.exitCode ?? child.signalCode}) on start:\n${this.diagnostics()}`,
        );
      }
      try {
        const response = await fetch(`${this.url}/_matrix/client/versions`);
        await response.arrayBuffer();
        if (response.status === 200) return;
        last = `HTTP ${response.status}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await this.stop();
    throw new Error(
      `Synapse did not answer in ${timeoutMs} ms (last: ${last}):\n${this.diagnostics()}`,
    );
  }

  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
    this.#child = null;
  }

  /** The end of Synapse's console output and log file, for failure messages. */
  diagnostics(lines = 60): string {
    let log = '';
    try {
      log = readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      // no log yet
    }
    return `--- synapse output ---\n${this.#output.slice(-4000)}\n--- ${this.logFile} ---\n${log}`;
  }

  /** Lines of the log file matching `pattern`, to find why Synapse answered what it did. */
  logLines(pattern: RegExp): string[] {
    try {
      return readFileSync(this.logFile, 'utf8')
        .split('\n')
        .filter((line) => pattern.test(line));
    } catch {
      return [];
    }
  }
}
