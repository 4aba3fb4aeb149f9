// The only place that reads the wall clock. Everything else takes a `Clock` parameter, so tests can
// travel in time with `MockClock` (as MAS does with its `Clock` trait).

export interface Clock {
  /** The current instant. Each call returns a fresh Date the caller may keep. */
  now(): Date;
}

export const systemClock: Clock = {
  now: () => new Date(),
};

/** A clock that only moves when told to. Starts at a fixed, arbitrary instant. */
export class MockClock implements Clock {
  #ms: number;

  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.#ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  advance(ms: number): void {
    this.#ms += ms;
  }

  set(to: Date | string): void {
    this.#ms = new Date(to).getTime();
  }
}

/** Monotonic milliseconds for measuring durations (timeouts, latency); not wall time. */
export function monotonicMs(): number {
  return performance.now();
}
