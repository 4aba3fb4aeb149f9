// Progress of commands that walk many users: a bar redrawn in place on a terminal (only when it
// changes, ending its line when finished), and plain line counts when stderr is not a terminal.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progress, type ProgressTerminal } from '../../src/cli/progress.ts';

function fakeTerminal(isTTY: boolean, columns = 80) {
  const writes: string[] = [];
  const terminal: ProgressTerminal = {
    isTTY,
    columns,
    write: (text) => (writes.push(text), true),
  };
  return { terminal, writes };
}

describe('progress', () => {
  it('writes one plain line per update when stderr is not a terminal', () => {
    const lines: string[] = [];
    const { terminal, writes } = fakeTerminal(false);
    const shown = progress(
      { verb: 'queued', noun: 'users', total: 1200, line: (l) => lines.push(l) },
      terminal,
    );
    shown.update(500);
    shown.update(1000);
    shown.update(1200);
    shown.finish();
    assert.deepEqual(lines, [
      'queued 500/1200 users',
      'queued 1000/1200 users',
      'queued 1200/1200 users',
    ]);
    assert.deepEqual(writes, [], 'nothing drawn on a non-terminal');
  });

  it('draws a bar in place on a terminal, then ends its line', () => {
    const lines: string[] = [];
    const { terminal, writes } = fakeTerminal(true);
    const shown = progress(
      { verb: 'queued', noun: 'users', total: 4, line: (l) => lines.push(l) },
      terminal,
    );
    shown.update(1);
    shown.update(1);
    shown.update(4);
    shown.finish();
    assert.deepEqual(lines, [], 'no plain lines on a terminal');
    assert.deepEqual(writes, [
      `\r[${'#'.repeat(8)}${'-'.repeat(22)}]  25% queued 1/4 users\x1b[K`,
      `\r[${'#'.repeat(30)}] 100% queued 4/4 users\x1b[K`,
      '\n',
    ]);
  });

  it('fits a narrow terminal and copes with nothing to do', () => {
    const { terminal, writes } = fakeTerminal(true, 45);
    const shown = progress({ verb: 'queued', noun: 'users', total: 0, line: () => {} }, terminal);
    shown.update(0);
    shown.finish();
    assert.deepEqual(writes, [`\r[${'#'.repeat(10)}] 100% queued 0/0 users\x1b[K`, '\n']);
    const idle = fakeTerminal(true);
    progress({ verb: 'queued', noun: 'users', total: 3, line: () => {} }, idle.terminal).finish();
    assert.deepEqual(idle.writes, [], 'no bar, no line to end');
  });
});
