// Makes sure Debian's Chromium is at /usr/bin/chromium, for the real-browser test suite
// (test/browser/). When it is missing and we run as root, installs it with
// `apt-get update && apt-get install -y chromium`, printing apt's progress; otherwise fails with
// one line saying what to run. Idempotent: an installed Chromium is left alone, so only the first
// run takes minutes.
//
//   node scripts/ensure-chromium.ts      prints the browser's path on the last line
//
// Also imported by the browser tests (`ensureChromium()` in their `before`), so `npm test` works on
// a fresh machine instead of relying on a browser that happens to be installed.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command with its output passed through (prefixed), failing on a non-zero exit. */
function run(command: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    log(`$ ${command} ${args.join(' ')}`);
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let tail = '';
    const relay = (data: Buffer) => {
      const text = data.toString();
      tail = (tail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim() !== '') log(`  ${line.trimEnd()}`);
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', (error) => reject(new Error(`cannot run ${command}: ${error.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} failed (${code ?? signal}); last output:\n${tail}`,
          ),
        );
    });
  });
}

let pending: Promise<string> | null = null;

/**
 * The path of an executable Chromium, installing Debian's package first when it is missing and we
 * are root. Concurrent callers in one process share one installation.
 */
export function ensureChromium(
  log: (line: string) => void = (line) => console.error(line),
): Promise<string> {
  if (isExecutable(CHROMIUM_PATH)) return Promise.resolve(CHROMIUM_PATH);
  pending ??= install(log).finally(() => {
    pending = null;
  });
  return pending;
}

async function install(log: (line: string) => void): Promise<string> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${CHROMIUM_PATH} is missing and this is not root: install it with "sudo apt-get install -y chromium"`,
    );
  }
  log(`${CHROMIUM_PATH} is missing: installing Debian's chromium package (takes a few minutes)`);
  // Wait for another apt/dpkg run (e.g. a parallel test process) instead of failing on its lock.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  await run('apt-get', [...lock, 'update'], log);
  await run('apt-get', [...lock, 'install', '-y', 'chromium'], log);
  if (!isExecutable(CHROMIUM_PATH)) {
    throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is still missing`);
  }
  log(`installed ${CHROMIUM_PATH}`);
  return CHROMIUM_PATH;
}

if (import.meta.main) {
  try {
    console.log(await ensureChromium());
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
