// Six-field cron expressions (`sec min hour day-of-month month day-of-week`, in UTC), the format
// of MAS's schedules. Each field takes `*`, `?`, numbers, ranges `a-b`, lists `a,b`, steps `*/n`,
// `a-b/n` and `a/n`; months and weekdays also take names (`JAN`, `MON`); Sunday is 0 or 7. As in
// Vixie cron, when both day fields are restricted a day matching either one is a match.
//
// Written here rather than taken from npm because the worker needs only `nextAfter` over this small
// grammar (cron-parser and croner exist and would do; see the worker's report if we switch).

export class CronError extends Error {
  override readonly name = 'CronError';
}

export interface CronSchedule {
  readonly expression: string;
  /** The first instant strictly after `date` that matches (whole seconds, UTC). */
  nextAfter(date: Date): Date;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS },
];

interface Field {
  readonly allowed: ReadonlySet<number>;
  /** True for `*` or `?` (matters only for the two day fields). */
  readonly any: boolean;
}

function parseValue(text: string, spec: FieldSpec, expression: string): number {
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  // Month names count from 1, weekday names from 0.
  const value = index >= 0 ? index + spec.min : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new CronError(
      `cron "${expression}": ${spec.name} "${text}" is not in ${spec.min}-${spec.max}`,
    );
  }
  return value;
}

function parseField(text: string, spec: FieldSpec, expression: string): Field {
  const allowed = new Set<number>();
  let any = false;
  for (const item of text.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (range === undefined || range === '' || extra !== undefined) {
      throw new CronError(`cron "${expression}": bad ${spec.name} "${item}"`);
    }
    let step = 1;
    if (stepText !== undefined) {
      step = /^\d+$/.test(stepText) ? Number(stepText) : 0;
      if (step < 1)
        throw new CronError(`cron "${expression}": bad step "${stepText}" in ${spec.name}`);
    }
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      [from, to] = [spec.min, spec.max];
      if (stepText === undefined) any = true;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (a === undefined || b === undefined || more !== undefined) {
        throw new CronError(`cron "${expression}": bad range "${range}" in ${spec.name}`);
      }
      [from, to] = [parseValue(a, spec, expression), parseValue(b, spec, expression)];
      if (from > to)
        throw new CronError(`cron "${expression}": range "${range}" in ${spec.name} is backwards`);
    } else {
      from = parseValue(range, spec, expression);
      // `a/n` means from a to the end in steps of n; a lone `a` is just a.
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) allowed.add(v);
  }
  return { allowed, any };
}

class ParsedCron implements CronSchedule {
  readonly expression: string;
  readonly #fields: readonly Field[];

  constructor(expression: string, fields: readonly Field[]) {
    this.expression = expression;
    this.#fields = fields;
  }

  #dayMatches(date: Date): boolean {
    const [, , , dom, , dow] = this.#fields as [Field, Field, Field, Field, Field, Field];
    const domOk = dom.allowed.has(date.getUTCDate());
    const weekday = date.getUTCDay();
    const dowOk = dow.allowed.has(weekday) || (weekday === 0 && dow.allowed.has(7));
    if (dom.any) return dowOk;
    if (dow.any) return domOk;
    return domOk || dowOk;
  }

  nextAfter(date: Date): Date {
    const [second, minute, hour, , month] = this.#fields as [
      Field,
      Field,
      Field,
      Field,
      Field,
      Field,
    ];
    const t = new Date(Math.floor(date.getTime() / 1000) * 1000 + 1000);
    const limit = t.getUTCFullYear() + 8;
    // Each step moves to the start of the next candidate month, day, hour, minute or second, so the
    // loop runs at most a few thousand times; 8 years covers every leap-day expression.
    while (t.getUTCFullYear() <= limit) {
      if (!month.allowed.has(t.getUTCMonth() + 1)) {
        t.setUTCMonth(t.getUTCMonth() + 1, 1);
        t.setUTCHours(0, 0, 0, 0);
      } else if (!this.#dayMatches(t)) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0, 0, 0);
      } else if (!hour.allowed.has(t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      } else if (!minute.allowed.has(t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      } else if (!second.allowed.has(t.getUTCSeconds())) {
        t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
      } else {
        return t;
      }
    }
    throw new CronError(`cron "${this.expression}" never matches`);
  }
}

/** Parses a six-field expression; throws `CronError` (one line) when it is malformed or never matches. */
export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== FIELDS.length) {
    throw new CronError(
      `cron "${expression}": expected 6 fields (second minute hour day-of-month month day-of-week), got ${parts.length}`,
    );
  }
  const cron = new ParsedCron(
    expression,
    parts.map((part, i) => parseField(part, FIELDS[i]!, expression)),
  );
  // Refuse expressions such as `0 0 0 30 2 *` now rather than when the scheduler first asks.
  cron.nextAfter(new Date(Date.UTC(2000, 0, 1)));
  return cron;
}
