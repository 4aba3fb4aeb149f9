// What a person sees over a limit: a 429 HTML page (through the human resource's error handler)
// with `Retry-After`, saying in words how long to wait. Which limiter refused is logged, not shown.

import { HumanPageError } from '../http/handlers/human/page.ts';
import { RateLimitedError } from './rate-limited-error.ts';

/** "about 3 minutes", "about 20 seconds", "about 2 hours". */
export function waitInWords(seconds: number): string {
  if (seconds < 90) return `about ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `about ${minutes} minutes`;
  return `about ${Math.round(minutes / 60)} hours`;
}

export function tooManyAttemptsPage(error: RateLimitedError, back: string | null): HumanPageError {
  return new HumanPageError(
    429,
    'Too many attempts',
    `There have been too many attempts. Wait ${waitInWords(error.retryAfterSeconds)} and try again.`,
    { back, headers: { 'retry-after': String(error.retryAfterSeconds) } },
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
