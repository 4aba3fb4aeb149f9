// Request ids: a well-formed incoming `X-Request-Id` (set by a reverse proxy) is kept so a request
// can be followed across services; otherwise a new ULID is made from the injected clock and rng.
// The id is echoed in the `X-Request-Id` response header and is on every log line of the request.

import type { Clock } from '../clock.ts';
import { newUlid, type Rng } from '../rng.ts';

export const REQUEST_ID_HEADER = 'x-request-id';

// Printable token characters only, bounded: the value goes into logs and a response header.
const WELL_FORMED = /^[A-Za-z0-9._~:+/=@-]{1,128}$/;

export function requestIdFor(
  incoming: string | string[] | undefined,
  clock: Clock,
  rng: Rng,
): string {
  if (typeof incoming === 'string' && WELL_FORMED.test(incoming)) return incoming;
  return newUlid(clock, rng);
}
