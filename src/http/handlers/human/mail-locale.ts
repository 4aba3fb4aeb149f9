// The language mails are sent in: the one the person read the page in, recorded with the job when
// the mail is queued (the worker renders it later, without the request). The same choice as the
// pages' (./page.ts): `ui_locales` in the query, then `Accept-Language`, among the languages there
// are translations for. Used where a page queues a verification code or a recovery link.

import type { FastifyRequest } from 'fastify';
import type { EmailAuthentication } from '../../../model/email-authentication.ts';
import { enqueueEmailAuthenticationCode } from '../../../storage/account-jobs.ts';
import type { QueueRepository } from '../../../storage/queue-repository.ts';
import { param, type HumanDeps } from './page.ts';

/** The locale (e.g. `fr`, `pt-br`, else `en`) the request's page is shown in. */
export function requestLocale(request: FastifyRequest, deps: Pick<HumanDeps, 'templates'>): string {
  return deps.templates.translations.choose({
    uiLocales: param(request.query, 'ui_locales'),
    acceptLanguage: request.headers['accept-language'] ?? null,
  });
}

/** Queues the mail of a new code for `authentication`, in the language of `request`'s page. */
export async function enqueueCodeMail(
  queue: QueueRepository,
  deps: Pick<HumanDeps, 'rng' | 'clock' | 'templates'>,
  request: FastifyRequest,
  authentication: EmailAuthentication,
): Promise<void> {
  const locale = requestLocale(request, deps);
  await enqueueEmailAuthenticationCode(queue, deps.rng, deps.clock, authentication, locale);
}
