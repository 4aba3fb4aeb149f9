// Progress of `gatehouse manage` commands that walk many users (provision-all-users): a bar
// redrawn in place on stderr when stderr is a terminal, and plain lines (`queued 500/1200 users`)
// otherwise, so logs of scripted runs stay readable. stdout keeps only the command's result.

/** Where the bar is drawn: a terminal's stderr. */
export interface ProgressTerminal {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

export interface Progress {
  /** `done` of the total are done. */
  update(done: number): void;
  /** Ends the bar's line (nothing to do for plain lines). */
  finish(): void;
}

const BAR_WIDTH = 30;

/**
 * Progress of `total` items, each update described as `${verb} ${done}/${total} ${noun}`: drawn
 * as a bar on `terminal` when it is one, else written as one line per update through `line`.
 */
export function progress(
  options: {
    readonly verb: string;
    readonly noun: string;
    readonly total: number;
    readonly line: (text: string) => void;
  },
  terminal: ProgressTerminal = process.stderr,
): Progress {
  const { verb, noun, total, line } = options;
  const label = (done: number) => `${verb} ${done}/${total} ${noun}`;
  if (terminal.isTTY !== true) {
    return { update: (done) => line(label(done)), finish: () => {} };
  }
  let drawn = '';
  return {
    update(done) {
      const fraction = total === 0 ? 1 : Math.min(1, done / total);
      const width = Math.max(10, Math.min(BAR_WIDTH, (terminal.columns ?? 80) - 40));
      const filled = Math.round(fraction * width);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(
        Math.floor(fraction * 100),
      ).padStart(3)}% ${label(done)}`;
      if (bar === drawn) return;
      drawn = bar;
      // Back to the start of the line, draw, clear whatever a longer previous bar left.
      terminal.write(`\r${bar}\x1b[K`);
    },
    finish() {
      if (drawn !== '') terminal.write('\n');
    },
  };
}
