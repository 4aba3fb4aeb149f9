// GET and POST /account/password/recovery?ticket=…: the page the recovery email links to (MAS
// serves it from its SPA, without a session). It asks for a new password twice; a ticket works for
// 10 minutes and once (using it consumes its recovery session). Setting the password ends every
// other browser session of the user and all their app sessions (OAuth 2.0 and compat), then shows
// a page that sends the person to sign in with the new password.
//
// POST: parse → CSRF → (rate limits go here) → load the ticket → password checks → hash (outside
// any transaction) → one transaction: consume, new password, end the sessions, queue the device
// sync → respond.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PasswordManagerBusyError, type HashedPassword } from '../../../crypto/password-manager.ts';
import {
  isRecoverySessionConsumed,
  isRecoveryTicketExpired,
  isRecoveryTicketShaped,
  type RecoveryTicket,
} from '../../../model/recovery-session.ts';
import { isUserActive, type User } from '../../../model/user.ts';
import { checkPasswordComplexity } from '../../../policy/password-complexity.ts';
import { enqueueSyncDevices } from '../../../storage/matrix-jobs.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { browserSessionIdFromCookie } from '../../browser-session.ts';
import { csrfToken } from '../../csrf.ts';
import { pageError, param, sendPage, type HumanDeps } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';
import { passwordComplexityMessage } from './policy-messages.ts';
import { recoveryClosed, recoveryEnabled } from './recover.ts';
import { checkCsrf, tooBusy } from './registration-flow.ts';
import type { AppContext } from '../../app-context.ts';

const PATH = 'account/password/recovery';

interface Loaded {
  readonly ticket: RecoveryTicket;
  readonly user: User;
  readonly email: string;
}

/** The ticket's account, or the error page saying why the link does not work. */
async function loadTicket(
  deps: HumanDeps,
  repos: Pick<Repositories, 'recovery' | 'users' | 'userEmails'>,
  plaintext: string,
): Promise<Loaded> {
  const again = { back: `${deps.urls.basePath}recover` };
  const invalid = pageError(
    400,
    'recover.link.invalid_title',
    pageMessage('recover.link.invalid'),
    again,
  );
  if (!isRecoveryTicketShaped(plaintext)) throw invalid;
  const ticket = await repos.recovery.findTicket(plaintext);
  if (ticket === null) throw invalid;
  const session = await repos.recovery.lookupSession(ticket.sessionId);
  if (session === null) throw invalid;
  if (isRecoverySessionConsumed(session)) {
    throw pageError(410, 'recover.link.used_title', pageMessage('recover.link.used'), again);
  }
  if (isRecoveryTicketExpired(ticket, deps.clock.now())) {
    throw pageError(410, 'recover.link.expired_title', pageMessage('recover.link.expired'), again);
  }
  const user = await repos.users.lookup(ticket.userId);
  const userEmail = await repos.userEmails.lookup(ticket.userEmailId);
  if (user === null || userEmail === null || !isUserActive(user)) {
    throw pageError(403, 'recover.link.locked_title', pageMessage('recover.link.locked'), again);
  }
  return { ticket, user, email: userEmail.email };
}

export function registerRecoverTicket(
  app: FastifyInstance,
  deps: HumanDeps & Pick<AppContext, 'introspectionCache'>,
): void {
  function sendForm(
    request: FastifyRequest,
    reply: FastifyReply,
    state: { ticket: string; username: string; errors: Record<string, PageMessage> },
    status = 200,
  ): FastifyReply {
    return sendPage(
      reply,
      deps,
      'pages/recover-ticket.html',
      {
        csrf_token: csrfToken(request, reply, deps),
        action: `${deps.urls.basePath}${PATH}`,
        ticket: state.ticket,
        username: state.username,
        errors: state.errors,
      },
      status,
    );
  }

  app.get(`/${PATH}`, async (request, reply) => {
    if (!recoveryEnabled(deps)) throw recoveryClosed(deps);
    const ticket = param(request.query, 'ticket') ?? '';
    const loaded = await deps.storage.transaction((repos) => loadTicket(deps, repos, ticket));
    return sendForm(request, reply, { ticket, username: loaded.user.username, errors: {} });
  });

  app.post(`/${PATH}`, async (request, reply) => {
    // parse
    const body = request.body;
    const ticket = param(body, 'ticket') ?? '';
    const password = param(body, 'password') ?? '';
    const passwordConfirm = param(body, 'password_confirm') ?? '';
    if (!recoveryEnabled(deps)) throw recoveryClosed(deps);
    checkCsrf(request, deps, `${deps.urls.basePath}recover`);
    // (rate limits go here, before any work)

    // load and check
    const loaded = await deps.storage.transaction((repos) => loadTicket(deps, repos, ticket));
    const errors: Record<string, PageMessage> = {};
    if (password === '') errors.password = pageMessage('recover.password_required');
    else if (password !== passwordConfirm)
      errors.password_confirm = pageMessage('policy.passwords_mismatch');
    else {
      const complexity = await checkPasswordComplexity(
        password,
        deps.config.passwords.minimum_complexity,
        [loaded.user.username, loaded.email],
      );
      if (!complexity.ok) errors.password = passwordComplexityMessage(complexity);
    }
    if (Object.keys(errors).length > 0) {
      return sendForm(request, reply, { ticket, username: loaded.user.username, errors }, 400);
    }

    // hash outside any transaction
    let hashed: HashedPassword;
    try {
      hashed = await deps.passwords.hash(password);
    } catch (error) {
      if (error instanceof PasswordManagerBusyError) throw tooBusy(`${deps.urls.basePath}recover`);
      throw error;
    }

    // mutate, schedule and save
    const keep = browserSessionIdFromCookie(request, deps);
    const user = await deps.storage.transaction(async (repos) => {
      const { ticket: found, user } = await loadTicket(deps, repos, ticket);
      const session = await repos.recovery.lookupSession(found.sessionId);
      if (session === null || (await repos.recovery.consumeSession(deps.clock, session)) === null) {
        throw pageError(410, 'recover.link.used_title', pageMessage('recover.link.used_just_now'), {
          back: `${deps.urls.basePath}recover`,
        });
      }
      await repos.userPasswords.add(deps.rng, deps.clock, user, hashed.version, hashed.hash);
      for (const browserSession of await repos.browserSessions.listActiveForUser(user)) {
        if (browserSession.id !== keep)
          await repos.browserSessions.finish(deps.clock, browserSession);
      }
      for (const oauth of await repos.oauth2Sessions.listActiveForUser(user.id)) {
        await repos.oauth2Sessions.finish(deps.clock, oauth);
      }
      for (const compat of await repos.compatSessions.listActiveForUser(user.id)) {
        await repos.compatSessions.finish(deps.clock, compat);
      }
      // Their tokens' cached introspections go too (here and, on PostgreSQL, on every node).
      await deps.introspectionCache?.invalidate({ user: user.id });
      await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, user.id);
      return user;
    });

    // respond
    return sendPage(reply, deps, 'pages/recover-done.html', {
      username: user.username,
      login_href: `${deps.urls.basePath}login?${new URLSearchParams({ login_hint: user.username }).toString()}`,
    });
  });
}
