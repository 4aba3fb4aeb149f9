// The six-field cron parser: the grammar, the next matching instant, and one-line errors.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronError, parseCron } from '../../src/worker/cron.ts';

const next = (expression: string, after: string) =>
  parseCron(expression).nextAfter(new Date(after)).toISOString();

describe('parseCron', () => {
  it('finds the next matching second for the MAS schedules', () => {
    assert.equal(next('* * * * * *', '2026-03-01T10:00:03.400Z'), '2026-03-01T10:00:04.000Z');
    assert.equal(
      next('0 0 * * * *', '2026-03-01T10:00:00.000Z'),
      '2026-03-01T11:00:00.000Z',
      'strictly after',
    );
    assert.equal(next('0 55 * * * *', '2026-03-01T10:56:00.000Z'), '2026-03-01T11:55:00.000Z');
    assert.equal(next('0 5 */4 * * *', '2026-03-01T10:00:00.000Z'), '2026-03-01T12:05:00.000Z');
    assert.equal(next('30 */15 * * * *', '2026-03-01T10:16:00.000Z'), '2026-03-01T10:30:30.000Z');
    assert.equal(
      next('0 0 2 * * *', '2026-12-31T03:00:00.000Z'),
      '2027-01-01T02:00:00.000Z',
      'across a year',
    );
  });

  it('supports lists, ranges, steps over ranges and names', () => {
    assert.equal(next('0 0 9-17/4 * * *', '2026-03-01T10:00:00.000Z'), '2026-03-01T13:00:00.000Z');
    assert.equal(next('15,45 * * * * *', '2026-03-01T10:00:20.000Z'), '2026-03-01T10:00:45.000Z');
    assert.equal(next('10/20 * * * * *', '2026-03-01T10:00:31.000Z'), '2026-03-01T10:00:50.000Z');
    assert.equal(next('0 0 0 1 jan *', '2026-03-01T00:00:00.000Z'), '2027-01-01T00:00:00.000Z');
    assert.equal(
      next('0 0 0 ? * MON', '2026-03-01T00:00:00.000Z'),
      '2026-03-02T00:00:00.000Z',
      '2026-03-01 is a Sunday',
    );
  });

  it('treats 0 and 7 as Sunday and ORs the two day fields when both are set', () => {
    assert.equal(next('0 0 0 * * 7', '2026-03-02T00:00:00.000Z'), '2026-03-08T00:00:00.000Z');
    assert.equal(next('0 0 0 * * 0', '2026-03-02T00:00:00.000Z'), '2026-03-08T00:00:00.000Z');
    // The 15th or any Friday, whichever comes first.
    assert.equal(next('0 0 0 15 * FRI', '2026-03-02T00:00:00.000Z'), '2026-03-06T00:00:00.000Z');
    assert.equal(next('0 0 0 15 * FRI', '2026-03-13T00:00:00.000Z'), '2026-03-15T00:00:00.000Z');
  });

  it('finds rare dates such as 29 February', () => {
    assert.equal(next('0 0 0 29 2 *', '2026-03-01T00:00:00.000Z'), '2028-02-29T00:00:00.000Z');
  });

  it('rejects malformed or impossible expressions with one line naming the problem', () => {
    const cases: Array<[string, RegExp]> = [
      ['* * * * *', /expected 6 fields .* got 5/],
      ['60 * * * * *', /second "60" is not in 0-59/],
      ['* * 24 * * *', /hour "24" is not in 0-23/],
      ['* * * 0 * *', /day of month "0" is not in 1-31/],
      ['* * * * FOO *', /month "FOO"/],
      ['*/0 * * * * *', /bad step "0"/],
      ['5-1 * * * * *', /backwards/],
      ['1,,2 * * * * *', /bad second/],
      ['0 0 0 30 2 *', /never matches/],
    ];
    for (const [expression, message] of cases) {
      assert.throws(
        () => parseCron(expression),
        (error: unknown) => {
          assert.ok(error instanceof CronError);
          assert.match(error.message, message);
          assert.ok(!error.message.includes('\n'));
          return true;
        },
        expression,
      );
    }
  });
});
