// Runs `gatehouse` as a real child process, the way an operator does, for end-to-end tests.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { generateConfig } from '../../src/config/generate.ts';
import { SeededRng } from '../../src/rng.ts';
import { freePort } from './postgres.ts';
import { LOOSE_ADDRESS_LIMITS } from './rate-limits.ts';

export const GATEHOUSE_BIN = join(import.meta.dirname, '..', '..', 'bin', 'gatehouse.js');

export interface TestConfig {
  dir: string;
  path: string;
  webPort: number;
  internalPort: number;
  cleanup(): void;
}

/**
 * Writes a config made by `config generate` into a fresh temp dir, with both listeners moved to
 * free loopback ports and the database given (SQLite in the temp dir by default).
 */
export async function writeTestConfig(
  options: { database?: string; seed?: string } = {},
): Promise<TestConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const webPort = await freePort();
  const internalPort = await freePort();
  const yaml = await generateConfig({
    rng: new SeededRng(options.seed ?? 'e2e'),
    database: options.database ?? `sqlite:${join(dir, 'gatehouse.db')}`,
    publicBase: `http://127.0.0.1:${webPort}/`,
    listenAddress: `127.0.0.1:${webPort}`,
  });
  const config = parse(yaml) as {
    http: { listeners: { name: string; binds: unknown[] }[] };
    rate_limiting?: unknown;
  };
  config.rate_limiting = LOOSE_ADDRESS_LIMITS;
  for (const listener of config.http.listeners) {
    if (listener.name === 'internal') listener.binds = [{ host: '127.0.0.1', port: internalPort }];
  }
  const path = join(dir, 'config.yaml');
  writeFileSync(path, stringify(config));
  return {
    dir,
    path,
    webPort,
    internalPort,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * `writeTestConfig` for one test file: call it at the file's top level; every config it makes is
 * removed once the file's tests have run.
 */
export function testConfigs(): (
  options?: Parameters<typeof writeTestConfig>[0],
) => Promise<TestConfig> {
  const made: TestConfig[] = [];
  after(() => made.forEach((config) => config.cleanup()));
  return async (options) => {
    const config = await writeTestConfig(options);
    made.push(config);
    return config;
  };
}

export interface RunningProcess {
  child: ChildProcess;
  /** Everything written so far to stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** Waits until `predicate(output)` holds, failing after `timeoutMs`. */
  waitForOutput(predicate: (output: string) => boolean, timeoutMs?: number): Promise<void>;
}

export function runGatehouse(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): RunningProcess {
  const child = spawn(process.execPath, [GATEHOUSE_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, GATEHOUSE_LOG: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    child,
    output: () => output,
    exited,
    async waitForOutput(predicate, timeoutMs = 20_000) {
      const deadline = performance.now() + timeoutMs;
      while (!predicate(output)) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `gatehouse exited (${child.exitCode ?? child.signalCode}) before the expected output:\n${output}`,
          );
        }
        if (performance.now() > deadline)
          throw new Error(`timed out waiting for output:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** Polls `url` until it answers `status`, failing after `timeoutMs`. */
export async function waitForStatus(
  url: string,
  status: number,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === status) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer ${status} in time (last: ${last})`);
}

/**
 * Asks a running server's `POST /oauth2/introspect` (its full URL) about `token` as Synapse does
 * (`Authorization: Bearer <matrix.secret>`, `X-MAS-Supports-Device-Id: 1`, form body); asserts a
 * 200 and returns `active`.
 */
export async function activeForHomeserverAt(
  introspectionUrl: string,
  secret: string,
  token: string,
): Promise<boolean> {
  const response = await fetch(introspectionUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${secret}`,
      'x-mas-supports-device-id': '1',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }).toString(),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { active: boolean }).active;
}
