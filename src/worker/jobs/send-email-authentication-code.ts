// `send-email-authentication-code` (MAS `crates/tasks/src/email.rs`): draws a new 6-digit code for
// an email authentication, stores it (valid 5 minutes), and mails it. The code is committed before
// the mail is sent; when sending fails the job throws and the queue retries it with back-off,
// drawing a fresh code each time (an undelivered code is harmless). The registration or session
// the authentication belongs to lives in the database all along, so a mail server that is down
// delays the code but loses nothing.
//
// Nothing is sent for an authentication that is gone, already completed, or whose registration
// is completed or expired.

import { renderEmail } from '../../email/email-renderer.ts';
import { EMAIL_CODE_LENGTH } from '../../model/email-authentication.ts';
import { asEmailAuthenticationId } from '../../model/email-authentication.ts';
import { isRegistrationCompleted, isRegistrationExpired } from '../../model/user-registration.ts';
import { randomString, type Rng } from '../../rng.ts';
import { SEND_EMAIL_AUTHENTICATION_CODE_QUEUE } from '../../storage/account-jobs.ts';
import type { JobPayload } from '../../model/queue-job.ts';
import { requireService } from '../job-services.ts';
import type { ExternalJob, ExternalJobContext } from '../queue.ts';

export const SEND_EMAIL_AUTHENTICATION_CODE = SEND_EMAIL_AUTHENTICATION_CODE_QUEUE;

/** The email template set (templates/emails/verification-code.*). */
export const VERIFICATION_CODE_EMAIL = 'verification-code';

/** A code: 6 decimal digits, `000000`–`999999`, uniformly drawn. */
export function generateEmailCode(rng: Rng): string {
  return randomString(rng, '0123456789', EMAIL_CODE_LENGTH);
}

function parsePayload(payload: JobPayload): { id: string; locale: string } {
  const id = payload['emailAuthenticationId'];
  const locale = payload['locale'];
  if (typeof id !== 'string' || id === '') {
    throw new Error('payload.emailAuthenticationId must be a non-empty string');
  }
  return { id, locale: typeof locale === 'string' && locale !== '' ? locale : 'en' };
}

async function run(payload: JobPayload, ctx: ExternalJobContext): Promise<void> {
  const { id, locale } = parsePayload(payload);
  const mailer = requireService(ctx.services, 'mailer');
  const templates = requireService(ctx.services, 'templates');

  const pending = await ctx.storage.transaction(async (repos) => {
    const authentication = await repos.emailAuthentications.lookup(asEmailAuthenticationId(id));
    if (authentication === null) return { skip: 'the email authentication no longer exists' };
    if (authentication.completedAt !== null) return { skip: 'the email is already verified' };
    let username: string | null = null;
    if (authentication.registrationId !== null) {
      const registration = await repos.userRegistrations.lookup(authentication.registrationId);
      if (registration === null) return { skip: 'the registration no longer exists' };
      if (isRegistrationCompleted(registration)) return { skip: 'the registration is completed' };
      if (isRegistrationExpired(registration, ctx.clock.now())) {
        return { skip: 'the registration has expired' };
      }
      username = registration.username;
    } else if (authentication.browserSessionId !== null) {
      const session = await repos.browserSessions.lookup(authentication.browserSessionId);
      if (session === null || session.finishedAt !== null) {
        return { skip: 'the browser session has ended' };
      }
      username = (await repos.users.lookup(session.userId))?.username ?? null;
    }
    const code = await repos.emailAuthentications.addCode(
      ctx.rng,
      ctx.clock,
      authentication,
      generateEmailCode(ctx.rng),
    );
    return { email: authentication.email, code: code.code, username };
  });
  if ('skip' in pending) {
    ctx.log('info', 'no verification code sent', { emailAuthentication: id, reason: pending.skip });
    return;
  }

  const message = renderEmail(
    templates,
    VERIFICATION_CODE_EMAIL,
    pending.email,
    { code: pending.code, email: pending.email, username: pending.username },
    locale,
  );
  await mailer.send(message);
  ctx.log('info', 'verification code sent', { emailAuthentication: id, via: mailer.description });
}

export const sendEmailAuthenticationCode: ExternalJob = { external: true, run };
