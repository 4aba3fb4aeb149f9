// What a person sees over a limit: a 429 HTML page (through the human resource's error handler)
// with `Retry-After`, saying in words how long to wait, in the reader's language (the
// `rate_limit` keys of translations/en.json). Which limiter refused is logged, not shown.

import { HumanPageError, type ErrorPageText } from '../http/handlers/human/page.ts';
import { RateLimitedError } from './rate-limited-error.ts';

/** The wait rounded to a unit a person reads: seconds under 90, minutes under 90, else hours. */
export function roundedWait(seconds: number): {
  unit: 'seconds' | 'minutes' | 'hours';
  count: number;
} {
  if (seconds < 90) return { unit: 'seconds', count: seconds };
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return { unit: 'minutes', count: minutes };
  return { unit: 'hours', count: Math.round(minutes / 60) };
}

/** "about 3 minutes", "about 20 seconds", "about 2 hours" (English, for logs and the fallback). */
export function waitInWords(seconds: number): string {
  const { unit, count } = roundedWait(seconds);
  return `about ${count} ${count === 1 ? unit.slice(0, -1) : unit}`;
}

export function tooManyAttemptsPage(error: RateLimitedError, back: string | null): HumanPageError {
  const wait = roundedWait(error.retryAfterSeconds);
  const text: ErrorPageText = {
    title: 'rate_limit.title',
    message: `rate_limit.wait_${wait.unit}`,
    vars: { count: wait.count },
  };
  return new HumanPageError(
    429,
    'Too many attempts',
    `There have been too many attempts. Wait ${waitInWords(error.retryAfterSeconds)} and try again.`,
    { back, headers: { 'retry-after': String(error.retryAfterSeconds) }, text },
  );
}

/** Runs `check`; a `RateLimitedError` becomes the 429 page. */
export async function limitOrPage<T>(check: () => Promise<T>, back: string | null): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof RateLimitedError) throw tooManyAttemptsPage(error, back);
    throw error;
  }
}
