// The mail jobs of the account pages, as the pages enqueue them (MAS keeps its job structs in the
// storage crate for the same reason: the HTTP layer schedules jobs the worker layer runs, and
// neither imports the other). The handlers are in worker/jobs/ under the same queue names.
//
// Enqueue inside the transaction that creates the authentication or recovery session, so the job
// exists exactly when the row it points at does.

import type { Clock } from '../clock.ts';
import type { EmailAuthentication } from '../model/email-authentication.ts';
import type { QueueJob } from '../model/queue-job.ts';
import type { RecoverySession } from '../model/recovery-session.ts';
import type { Rng } from '../rng.ts';
import type { QueueRepository } from './queue-repository.ts';

export const SEND_EMAIL_AUTHENTICATION_CODE_QUEUE = 'send-email-authentication-code';
export const SEND_ACCOUNT_RECOVERY_EMAIL_QUEUE = 'send-account-recovery-email';

export type SendEmailAuthenticationCodePayload = {
  readonly emailAuthenticationId: string;
  /** The language of the mail (BCP 47), as the page was shown. */
  readonly locale: string;
};

export type SendAccountRecoveryEmailPayload = {
  readonly recoverySessionId: string;
};

/** Asks the worker to draw a new code for the authentication and mail it. */
export function enqueueEmailAuthenticationCode(
  queue: QueueRepository,
  rng: Rng,
  clock: Clock,
  authentication: EmailAuthentication,
  locale: string,
): Promise<QueueJob> {
  const payload: SendEmailAuthenticationCodePayload = {
    emailAuthenticationId: authentication.id,
    locale,
  };
  return queue.enqueue(rng, clock, SEND_EMAIL_AUTHENTICATION_CODE_QUEUE, payload);
}

/** Asks the worker to mail a recovery link to every account holding the session's address. */
export function enqueueAccountRecoveryEmail(
  queue: QueueRepository,
  rng: Rng,
  clock: Clock,
  session: RecoverySession,
): Promise<QueueJob> {
  const payload: SendAccountRecoveryEmailPayload = { recoverySessionId: session.id };
  return queue.enqueue(rng, clock, SEND_ACCOUNT_RECOVERY_EMAIL_QUEUE, payload);
}
