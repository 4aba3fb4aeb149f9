// The outside services jobs may use, built once at start-up from the configuration
// (src/cli/job-services.ts) and handed to every `ExternalJob` as `ctx.services`. Every field is
// optional, so a worker (or a test) is given only what its jobs need; a job that finds its
// service missing fails with `MissingJobServiceError` (and is retried), never silently.
//
// To add a service: add an optional field below, build it in src/cli/job-services.ts, and read
// it in the job with `requireService(ctx.services, '<field>')`.

import type { Mailer } from '../email/mailer.ts';
import type { Templates } from '../templates/templates.ts';

export interface JobServices {
  /** Outgoing email (`email` section). */
  readonly mailer?: Mailer;
  /** The page and email templates (`templates` section, `branding`). */
  readonly templates?: Templates;
  /** `http.public_base`: where links in emails point. */
  readonly publicBase?: string;
}

export class MissingJobServiceError extends Error {
  override readonly name = 'MissingJobServiceError';
}

export function requireService<K extends keyof JobServices>(
  services: JobServices,
  key: K,
): NonNullable<JobServices[K]> {
  const service = services[key];
  if (service === undefined || service === null) {
    throw new MissingJobServiceError(`this worker was started without the ${key} service`);
  }
  return service as NonNullable<JobServices[K]>;
}
