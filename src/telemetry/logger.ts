// The process logger: pino writing one JSON object per line to stderr (or a given stream, for
// tests). Everything that logs takes this logger (or a child of it) as a parameter.

import pino, { type DestinationStream, type Logger } from 'pino';
import type { Clock } from '../clock.ts';

export type { Logger };

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stderr when not given. */
  destination?: DestinationStream;
  /** Stamps each line; pino's own ISO timestamps when not given. */
  clock?: Clock;
}

export function createLogger(options: LoggerOptions): Logger {
  if (!(logLevels as readonly string[]).includes(options.level)) {
    throw new Error(
      `unknown log level "${options.level}" (expected one of ${logLevels.join(', ')})`,
    );
  }
  const clock = options.clock;
  return pino(
    {
      level: options.level,
      // Level names instead of numbers: the lines are read by people as often as by machines.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: clock
        ? () => `,"time":"${clock.now().toISOString()}"`
        : pino.stdTimeFunctions.isoTime,
      // No pid/hostname on every line: the log collector knows which process wrote it.
      base: undefined,
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}
