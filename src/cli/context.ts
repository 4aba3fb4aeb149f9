// What every command gets: the process's edges (environment, output streams, clock, randomness)
// passed in rather than read globally, so tests can run commands in-process.

import type { Clock } from '../clock.ts';
import type { Rng } from '../rng.ts';

export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly clock: Clock;
  readonly rng: Rng;
  /** Normal output (results a script may parse). */
  out(text: string): void;
  /** Diagnostics for a person. */
  err(text: string): void;
}

/** A user-facing failure: printed as one line, exit with `exitCode`, no stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Options every command inherits from the program. */
export interface GlobalOptions {
  config?: string[];
  logLevel?: string;
  debug?: boolean;
}
