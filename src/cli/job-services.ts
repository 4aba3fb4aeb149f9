// The services external jobs use (src/worker/job-services.ts), built from the configuration by
// `gatehouse server` and `gatehouse worker`: the mailer of the `email` section, the templates
// and the public base URL for links in emails.
//
// The mail relay is checked in the background at start-up (MAS tests its connection too): an
// unreachable relay is logged as a warning and does not stop the process — the mail jobs retry
// with back-off until it comes back.

import type { RootConfig } from '../config/root.ts';
import { createMailer, MailConfigError } from '../email/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Templates } from '../templates/templates.ts';
import type { JobServices } from '../worker/job-services.ts';
import { CliError } from './context.ts';
import { oneLine } from './lifecycle.ts';

export function jobServicesFor(
  config: RootConfig,
  templates: Templates,
  logger: Logger,
): JobServices {
  let mailer;
  try {
    mailer = createMailer(config.email);
  } catch (error) {
    if (error instanceof MailConfigError) throw new CliError(error.message);
    throw error;
  }
  const log = logger.child({ component: 'mailer' });
  mailer.verify().then(
    () => log.info({ transport: mailer.description }, 'email transport ready'),
    (error: unknown) =>
      log.warn(
        { transport: mailer.description, error: oneLine(error) },
        'email transport check failed: emails will be retried until it works',
      ),
  );
  return { mailer, templates, publicBase: config.http.public_base };
}
