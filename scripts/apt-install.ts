// Makes sure a program from a Debian package is installed, for the test suites that need a real
// one (Chromium, Redis). When the program is missing and we run as root, installs the package with
// `apt-get update && apt-get install -y <package>`, printing apt's progress; otherwise fails with
// one line saying what to run. Idempotent: an installed program is left alone, so only the first
// run takes time.
//
// To add one more: a small `scripts/ensure-<name>.ts` that calls `aptEnsurer({ path, pkg })`,
// exports the result, and ends with `if (import.meta.main) await printEnsured(ensure<Name>)`.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export type Log = (line: string) => void;

export interface AptProgram {
  /** Where the package puts the executable, e.g. `/usr/bin/chromium`. */
  path: string;
  /** The Debian package that provides it. */
  pkg: string;
  /** Extra `apt-get install` options, e.g. `--no-install-recommends`. */
  installOptions?: string[];
  /** Said after "installing Debian's <pkg> package", e.g. " (takes a few minutes)". */
  waitNote?: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command with its output passed through (indented), failing on a non-zero exit. */
function run(command: string, args: string[], log: Log): Promise<void> {
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

async function install(program: AptProgram, log: Log): Promise<string> {
  const { path, pkg } = program;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${path} is missing and this is not root: install it with "sudo apt-get install -y ${pkg}"`,
    );
  }
  log(`${path} is missing: installing Debian's ${pkg} package${program.waitNote ?? ''}`);
  // Wait for another apt/dpkg run (e.g. a parallel test process) instead of failing on its lock.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  await run('apt-get', [...lock, 'update'], log);
  await run('apt-get', [...lock, 'install', '-y', ...(program.installOptions ?? []), pkg], log);
  if (!isExecutable(path)) {
    throw new Error(`apt-get installed ${pkg} but ${path} is still missing`);
  }
  log(`installed ${path}`);
  return path;
}

/**
 * A function returning the path of the program once it is executable, installing its package
 * first when it is missing and we are root. Concurrent callers in one process share one
 * installation.
 */
export function aptEnsurer(program: AptProgram): (log?: Log) => Promise<string> {
  let pending: Promise<string> | null = null;
  return (log = (line) => console.error(line)) => {
    if (isExecutable(program.path)) return Promise.resolve(program.path);
    pending ??= install(program, log).finally(() => {
      pending = null;
    });
    return pending;
  };
}

/** For `node scripts/ensure-<name>.ts`: the path on the last line, or one error line and exit 1. */
export async function printEnsured(ensure: () => Promise<string>): Promise<void> {
  try {
    console.log(await ensure());
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
