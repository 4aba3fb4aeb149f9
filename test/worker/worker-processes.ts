// Starting and watching test/fixtures/worker-process.ts children, for the multi-process tests.
// Every child started here is remembered, so an `after` hook can kill whatever is left.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { WorkerProcessOptions } from '../fixtures/worker-process.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/worker-process.ts', import.meta.url));

export interface WorkerEvent {
  event: string;
  [key: string]: unknown;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly events: WorkerEvent[];
  /** The worker id it printed when ready. */
  id: string;
  waitFor(event: string, timeoutMs?: number): Promise<WorkerEvent>;
  /** SIGTERM, then wait for the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  stderr(): string;
}

const started = new Set<ChildProcess>();

export async function startWorkerProcess(
  uri: string,
  options: WorkerProcessOptions = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [FIXTURE, uri, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  const events: WorkerEvent[] = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  let errors = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() !== '') events.push(JSON.parse(line) as WorkerEvent);
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    errors = (errors + chunk).slice(-20_000);
  });
  child.once('exit', () => {
    for (const w of waiters.splice(0)) w();
  });

  const handle: WorkerProcess = {
    child,
    events,
    id: '',
    async waitFor(event, timeoutMs = 20_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const found = events.find((e) => e.event === event);
        if (found !== undefined) return found;
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `worker process exited (${child.exitCode ?? child.signalCode}) before "${event}": ${errors}`,
          );
        }
        const left = deadline - performance.now();
        if (left <= 0)
          throw new Error(`timed out waiting for "${event}" from a worker process: ${errors}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
      return child.exitCode;
    },
    stderr: () => errors,
  };
  handle.id = String((await handle.waitFor('ready')).worker);
  return handle;
}

/** Kills every child still running (for `after` hooks). */
export async function killAllWorkerProcesses(): Promise<void> {
  await Promise.all(
    [...started].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
