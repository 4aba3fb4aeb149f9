// `send-account-recovery-email` (MAS `crates/tasks/src/recovery.rs`): for a recovery session, mails
// a link with a fresh ticket (32 letters and digits, valid 10 minutes) to every active account
// holding the session's address. An address no account holds gets nothing — the /recover page
// answers the same either way, so nobody learns which addresses are registered.
//
// Tickets are committed before the mails go out; if a send fails the job throws and the queue
// retries it, with new tickets (the undelivered ones simply expire).

import { renderEmail } from '../../email/email-renderer.ts';
import type { EmailMessage } from '../../email/email-message.ts';
import type { JobPayload } from '../../model/queue-job.ts';
import { asRecoverySessionId, RECOVERY_TICKET_LENGTH } from '../../model/recovery-session.ts';
import { isUserActive } from '../../model/user.ts';
import { randomString, type Rng } from '../../rng.ts';
import { SEND_ACCOUNT_RECOVERY_EMAIL_QUEUE } from '../../storage/account-jobs.ts';
import { requireService } from '../job-services.ts';
import type { ExternalJob, ExternalJobContext } from '../queue.ts';

export const SEND_ACCOUNT_RECOVERY_EMAIL = SEND_ACCOUNT_RECOVERY_EMAIL_QUEUE;

/** The email template set (templates/emails/recovery.*). */
export const RECOVERY_EMAIL = 'recovery';

/** Where the link points (MAS serves the same path). */
export const RECOVERY_PATH = 'account/password/recovery';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function generateRecoveryTicket(rng: Rng): string {
  return randomString(rng, ALPHANUMERIC, RECOVERY_TICKET_LENGTH);
}

/** The absolute link for `ticket` under `http.public_base`. */
export function recoveryLink(publicBase: string, ticket: string): string {
  const base = new URL(publicBase.endsWith('/') ? publicBase : `${publicBase}/`);
  const url = new URL(RECOVERY_PATH, base);
  url.searchParams.set('ticket', ticket);
  return url.toString();
}

async function run(payload: JobPayload, ctx: ExternalJobContext): Promise<void> {
  const id = payload['recoverySessionId'];
  if (typeof id !== 'string' || id === '') {
    throw new Error('payload.recoverySessionId must be a non-empty string');
  }
  const mailer = requireService(ctx.services, 'mailer');
  const templates = requireService(ctx.services, 'templates');
  const publicBase = requireService(ctx.services, 'publicBase');

  const outcome = await ctx.storage.transaction(async (repos) => {
    const session = await repos.recovery.lookupSession(asRecoverySessionId(id));
    if (session === null) return { skip: 'the recovery session no longer exists' };
    if (session.consumedAt !== null) return { skip: 'the recovery session was used' };
    const messages: EmailMessage[] = [];
    for (const userEmail of await repos.userEmails.listByEmail(session.email)) {
      const user = await repos.users.lookup(userEmail.userId);
      if (user === null || !isUserActive(user)) continue;
      const ticket = generateRecoveryTicket(ctx.rng);
      await repos.recovery.addTicket(ctx.rng, ctx.clock, session, userEmail, ticket);
      const context = {
        username: user.username,
        email: userEmail.email,
        recovery_link: recoveryLink(publicBase, ticket),
      };
      messages.push(
        renderEmail(templates, RECOVERY_EMAIL, userEmail.email, context, session.locale),
      );
    }
    return { messages };
  });
  if ('skip' in outcome) {
    ctx.log('info', 'no recovery email sent', { recoverySession: id, reason: outcome.skip });
    return;
  }
  for (const message of outcome.messages) await mailer.send(message);
  ctx.log('info', 'recovery emails sent', {
    recoverySession: id,
    count: outcome.messages.length,
    via: mailer.description,
  });
}

export const sendAccountRecoveryEmail: ExternalJob = { external: true, run };
