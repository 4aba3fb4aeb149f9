// Sets up the Python virtualenv that the real-Synapse test suite runs Synapse from:
// `.cache/synapse-venv` with `matrix-synapse` 1.163.x from PyPI. Idempotent: a venv whose Synapse
// already imports at the right version is left alone, so only the first run takes minutes.
//
//   node scripts/synapse-env.ts          prints the venv's python path on the last line
//
// Also imported by test/synapse/synapse-process.ts (`ensureSynapseEnv()`), so `npm test` installs
// what it needs on a fresh machine instead of relying on a venv that happens to exist.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const SYNAPSE_REQUIREMENT = 'matrix-synapse==1.163.*';
export const SYNAPSE_VERSION_PREFIX = '1.163.';
export const VENV_DIR = join(import.meta.dirname, '..', '.cache', 'synapse-venv');
export const VENV_PYTHON = join(VENV_DIR, 'bin', 'python');

/** The environment for pip and Synapse: no proxies (Synapse must reach loopback directly). */
export function pythonEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  for (const name of [
    'http_proxy',
    'https_proxy',
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'all_proxy',
    'ALL_PROXY',
  ])
    delete env[name];
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost';
  return env;
}

/** The installed Synapse version, or null when the venv is missing or broken. */
export function installedSynapseVersion(): string | null {
  if (!existsSync(VENV_PYTHON)) return null;
  const probe = spawnSync(
    VENV_PYTHON,
    [
      '-c',
      'import importlib.metadata as m, synapse.app.homeserver; print(m.version("matrix-synapse"))',
    ],
    { encoding: 'utf8', env: pythonEnv() },
  );
  return probe.status === 0 ? probe.stdout.trim() : null;
}

function findPython(): string {
  for (const candidate of ['python3', 'python']) {
    const probe = spawnSync(
      candidate,
      ['-c', 'import sys, venv; print(sys.version_info[:2] >= (3, 10))'],
      {
        encoding: 'utf8',
      },
    );
    if (probe.status === 0 && probe.stdout.trim() === 'True') return candidate;
  }
  throw new Error(
    'Synapse tests need Python 3.10+ with the venv module (Debian: apt-get install python3 python3-venv).',
  );
}

function step(command: string, args: string[], log: (line: string) => void): Promise<void> {
  log(`$ ${command} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: pythonEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (data: Buffer): void => {
      const text = data.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) log(`  ${line.trimEnd()}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => reject(new Error(`${command}: ${error.message}`)));
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${tail}`));
    });
  });
}

/**
 * Makes sure `.cache/synapse-venv` has Synapse 1.163.x; returns the venv's python.
 * `log` receives progress lines (stderr by default).
 */
export async function ensureSynapseEnv(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<string> {
  const version = installedSynapseVersion();
  if (version?.startsWith(SYNAPSE_VERSION_PREFIX)) return VENV_PYTHON;

  const python = findPython();
  log(
    version
      ? `synapse-env: found Synapse ${version}, installing ${SYNAPSE_REQUIREMENT}`
      : `synapse-env: creating ${VENV_DIR} (first run: installing Synapse from PyPI takes a few minutes)`,
  );
  if (!existsSync(VENV_PYTHON)) {
    rmSync(VENV_DIR, { recursive: true, force: true });
    mkdirSync(join(VENV_DIR, '..'), { recursive: true });
    await step(python, ['-m', 'venv', VENV_DIR], log);
  }
  const pip = spawnSync(VENV_PYTHON, ['-m', 'pip', '--version'], { encoding: 'utf8' });
  if (pip.status !== 0) {
    throw new Error(
      `The virtualenv at ${VENV_DIR} has no pip (Debian: apt-get install python3-venv python3-pip, then delete ${VENV_DIR}).`,
    );
  }
  await step(
    VENV_PYTHON,
    ['-m', 'pip', 'install', '--progress-bar', 'off', SYNAPSE_REQUIREMENT],
    log,
  );
  const installed = installedSynapseVersion();
  if (!installed?.startsWith(SYNAPSE_VERSION_PREFIX)) {
    throw new Error(
      `Synapse did not install correctly in ${VENV_DIR} (found: ${installed ?? 'nothing'}).`,
    );
  }
  log(`synapse-env: Synapse ${installed} ready`);
  return VENV_PYTHON;
}

if (import.meta.main) {
  try {
    console.log(await ensureSynapseEnv());
  } catch (error) {
    console.error(`synapse-env: ${(error as Error).message}`);
    process.exit(1);
  }
}
