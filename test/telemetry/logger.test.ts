import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { createLogger, type LogLevel } from '../../src/telemetry/logger.ts';

function capture(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with the level name and the clock time', () => {
    const { stream, lines } = capture();
    const logger = createLogger({
      level: 'info',
      destination: stream,
      clock: new MockClock('2026-03-04T05:06:07.000Z'),
    });
    logger.info({ user: 'alice' }, 'hello');
    logger.child({ listener: 'web' }).warn('careful');
    assert.deepEqual(lines, [
      { level: 'info', time: '2026-03-04T05:06:07.000Z', user: 'alice', msg: 'hello' },
      { level: 'warn', time: '2026-03-04T05:06:07.000Z', listener: 'web', msg: 'careful' },
    ]);
  });

  it('drops lines below the level', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'warn', destination: stream });
    logger.info('quiet');
    logger.debug('quieter');
    logger.error('loud');
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['loud'],
    );
    assert.equal(typeof lines[0]!.time, 'string');
  });

  it('refuses an unknown level', () => {
    assert.throws(
      () => createLogger({ level: 'verbose' as LogLevel }),
      /unknown log level "verbose"/,
    );
  });
});
