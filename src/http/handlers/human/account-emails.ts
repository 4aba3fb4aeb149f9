// The signed-in user's email addresses (MAS: the account UI's emails, `/emails/{id}/verify`):
//
// GET  /account/emails                 the list, a remove button each, and the "add" form
// POST /account/emails/add             `email` (+ `password` when the account has one): policy
//                                       (src/policy/account-policy.ts), not already used, rate
//                                       limits `email_authentication.per_ip` / `per_address`; then
//                                       one transaction starts an email authentication for this
//                                       browser session and queues the code mail → the code page
// GET  /account/emails/verify/{id}     the 6-digit code form
// POST /account/emails/verify/{id}     `code` (limit `attempt_per_session`), or `action=resend`
//                                       (limits `emails_per_session` / `per_address`): the right
//                                       code completes the authentication, records the address
//                                       and queues provision-user (the homeserver's copy) → list
// POST /account/emails/remove          `id` (+ `password`): deletes the address, queues
//                                       provision-user → list
//
// Adding and removing need `account.email_change_allowed` (else 404) and, for an account with a
// password, that password (./account-reauth.ts). The last address cannot be removed while
// `account.password_registration_email_required` is on: this server expects every account to have
// one. An authentication belongs to the browser session that started it; another session (or
// user) gets "not found". Every form carries the CSRF token.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasExhaustedAttempts,
  isEmailCodeShaped,
  asEmailAuthenticationId,
  type EmailAuthentication,
} from '../../../model/email-authentication.ts';
import { asUserEmailId } from '../../../model/user-email.ts';
import { limitOrPage } from '../../../rate-limit/rate-limit-page.ts';
import { enqueueProvisionUser } from '../../../storage/matrix-jobs.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { CurrentBrowserSession } from '../../browser-session.ts';
import {
  accountContext,
  accountUrl,
  checkAccountCsrf,
  orLogin,
  signedIn,
  type AccountDeps,
} from './account-access.ts';
import { activePassword, passwordConfirmed } from './account-reauth.ts';
import { ULID } from './account-sessions.ts';
import { pageError, param, sendPage } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';
import { policyViolationMessage } from './policy-messages.ts';
import { accountPolicy } from './registration-flow.ts';
import { enqueueCodeMail } from './mail-locale.ts';

const WRONG_CODE = pageMessage('register.verify_email_errors.wrong_code');
const EXHAUSTED = pageMessage('register.verify_email_errors.exhausted');
const WRONG_PASSWORD = pageMessage('account.wrong_password');

type AddErrors = Partial<Record<'email' | 'password', PageMessage>>;

export function registerAccountEmails(app: FastifyInstance, deps: AccountDeps): void {
  const listPath = accountUrl(deps, 'emails');
  const verifyPath = (authentication: EmailAuthentication) =>
    `${listPath}/verify/${authentication.id}`;
  const changeAllowed = () => deps.config.account.email_change_allowed;
  const lastIsKept = () => deps.config.account.password_registration_email_required;

  const unavailable = () =>
    pageError(404, 'account.emails.unavailable_title', pageMessage('account.emails.unavailable'), {
      back: listPath,
    });
  const authenticationNotFound = () =>
    pageError(
      404,
      'account.emails.verification_not_found_title',
      pageMessage('account.emails.verification_not_found'),
      { back: listPath },
    );

  async function sendList(
    request: FastifyRequest,
    reply: FastifyReply,
    current: CurrentBrowserSession,
    state: {
      notice: PageMessage | null;
      errors: AddErrors;
      removeError: PageMessage | null;
      value: string;
    },
    status = 200,
  ): Promise<FastifyReply> {
    const emails = await deps.storage.transaction((repos) =>
      repos.userEmails.listForUser(current.user),
    );
    const hasPassword = (await activePassword(deps, current.user)) !== null;
    return sendPage(
      reply,
      deps,
      'pages/account-emails.html',
      {
        ...accountContext(request, reply, deps, current),
        emails: emails.map((row) => ({
          id: row.id,
          email: row.email,
          removable: changeAllowed() && !(lastIsKept() && emails.length <= 1),
        })),
        change_allowed: changeAllowed(),
        needs_password: hasPassword,
        notice: state.notice,
        errors: state.errors,
        remove_error: state.removeError,
        value: state.value,
      },
      status,
    );
  }

  function sendVerify(
    request: FastifyRequest,
    reply: FastifyReply,
    current: CurrentBrowserSession,
    authentication: EmailAuthentication,
    state: { error: PageMessage | null; notice: PageMessage | null },
    status = 200,
  ): FastifyReply {
    return sendPage(
      reply,
      deps,
      'pages/account-email-verify.html',
      {
        ...accountContext(request, reply, deps, current),
        action: verifyPath(authentication),
        email: authentication.email,
        exhausted: hasExhaustedAttempts(authentication),
        error: state.error,
        notice: state.notice,
      },
      status,
    );
  }

  /** The authentication `id` of this browser session, still to be completed; else not found. */
  async function loadAuthentication(
    repos: Repositories,
    current: CurrentBrowserSession,
    id: string,
  ): Promise<EmailAuthentication> {
    if (!ULID.test(id)) throw authenticationNotFound();
    const authentication = await repos.emailAuthentications.lookup(asEmailAuthenticationId(id));
    if (
      authentication === null ||
      authentication.browserSessionId !== current.session.id ||
      authentication.completedAt !== null
    ) {
      throw authenticationNotFound();
    }
    return authentication;
  }

  app.get('/account/emails', async (request, reply) =>
    orLogin(reply, deps, 'emails', async () => {
      const current = await deps.storage.transaction((repos) => signedIn(request, deps, repos));
      const notice =
        param(request.query, 'added') === '1'
          ? pageMessage('account.emails.added')
          : param(request.query, 'removed') === '1'
            ? pageMessage('account.emails.removed')
            : null;
      return sendList(request, reply, current, {
        notice,
        errors: {},
        removeError: null,
        value: '',
      });
    }),
  );

  app.post('/account/emails/add', async (request, reply) => {
    // parse
    const email = (param(request.body, 'email') ?? '').trim();
    const password = param(request.body, 'password') ?? '';
    if (!changeAllowed()) throw unavailable();
    checkAccountCsrf(request, deps, 'emails');

    return orLogin(reply, deps, 'emails', async () => {
      const current = await deps.storage.transaction((repos) => signedIn(request, deps, repos));
      const again = (errors: AddErrors) =>
        sendList(
          request,
          reply,
          current,
          { notice: null, errors, removeError: null, value: email },
          400,
        );

      // check: the policy, then what needs the database, then the password
      const violation = accountPolicy(deps.config).emailViolations(email)[0];
      if (violation !== undefined) return again({ email: policyViolationMessage(violation) });
      const taken = await deps.storage.transaction(async (repos) => {
        if ((await repos.userEmails.findForUser(current.user, email)) !== null) return 'yours';
        return (await repos.userEmails.listByEmail(email)).length > 0 ? 'other' : null;
      });
      if (taken === 'yours') return again({ email: pageMessage('account.emails.already_yours') });
      if (taken === 'other') return again({ email: pageMessage('account.emails.used_by_other') });
      if (!(await passwordConfirmed(request, deps, current.user, password, listPath))) {
        return again({ password: WRONG_PASSWORD });
      }
      await limitOrPage(
        () => deps.rateLimiter.checkEmailAuthentication(request.ip, email),
        listPath,
      );

      // mutate, schedule, save (the code mail in the language of this page)
      const authentication = await deps.storage.transaction(async (repos) => {
        const now = await signedIn(request, deps, repos);
        const started = await repos.emailAuthentications.addForBrowserSession(
          deps.rng,
          deps.clock,
          now.session,
          email,
        );
        await enqueueCodeMail(repos.queue, deps, request, started);
        return started;
      });
      return reply.header('cache-control', 'no-store').redirect(verifyPath(authentication), 303);
    });
  });

  app.get<{ Params: { id: string } }>('/account/emails/verify/:id', async (request, reply) =>
    orLogin(reply, deps, 'emails', async () => {
      const { current, authentication } = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        return {
          current,
          authentication: await loadAuthentication(repos, current, request.params.id),
        };
      });
      return sendVerify(request, reply, current, authentication, { error: null, notice: null });
    }),
  );

  app.post<{ Params: { id: string } }>('/account/emails/verify/:id', async (request, reply) => {
    // parse
    const resend = param(request.body, 'action') === 'resend';
    const code = (param(request.body, 'code') ?? '').replace(/\s+/g, '');
    if (!changeAllowed()) throw unavailable();
    checkAccountCsrf(request, deps, 'emails');

    return orLogin(reply, deps, 'emails', async () => {
      const outcome = await deps.storage.transaction(async (repos) => {
        // authenticate → load
        const current = await signedIn(request, deps, repos);
        let authentication = await loadAuthentication(repos, current, request.params.id);
        const here = verifyPath(authentication);
        const form = (
          a: EmailAuthentication,
          error: PageMessage | null,
          notice: PageMessage | null,
        ) => ({
          kind: 'form' as const,
          current,
          authentication: a,
          error,
          notice,
        });

        if (resend) {
          const address = authentication.email;
          await limitOrPage(
            () => deps.rateLimiter.checkEmailResend(authentication.id, address),
            here,
          );
          if (hasExhaustedAttempts(authentication)) {
            // The old authentication is spent: verify the same address afresh.
            authentication = await repos.emailAuthentications.addForBrowserSession(
              deps.rng,
              deps.clock,
              current.session,
              address,
            );
          }
          await enqueueCodeMail(repos.queue, deps, request, authentication);
          return form(
            authentication,
            null,
            pageMessage('register.verify_email_errors.code_resent', { email: address }),
          );
        }

        await limitOrPage(() => deps.rateLimiter.checkEmailCodeAttempt(authentication.id), here);
        // check
        if (hasExhaustedAttempts(authentication)) return form(authentication, EXHAUSTED, null);
        if (!isEmailCodeShaped(code)) {
          return form(
            authentication,
            pageMessage('register.verify_email_errors.code_required'),
            null,
          );
        }
        const found = await repos.emailAuthentications.findValidCode(
          deps.clock,
          authentication,
          code,
        );
        if (found === null) {
          const counted = await repos.emailAuthentications.recordFailedAttempt(authentication);
          return form(counted, hasExhaustedAttempts(counted) ? EXHAUSTED : WRONG_CODE, null);
        }
        // mutate → schedule → save
        if (
          (await repos.emailAuthentications.complete(deps.clock, authentication, found)) === null
        ) {
          throw authenticationNotFound();
        }
        await repos.userEmails.add(deps.rng, deps.clock, current.user, authentication.email);
        await enqueueProvisionUser(repos.queue, deps.rng, deps.clock, current.user.id);
        return { kind: 'added' as const };
      });

      // respond
      if (outcome.kind === 'added') {
        return reply.header('cache-control', 'no-store').redirect(`${listPath}?added=1`, 303);
      }
      const status = outcome.error === null ? 200 : 400;
      return sendVerify(request, reply, outcome.current, outcome.authentication, outcome, status);
    });
  });

  app.post('/account/emails/remove', async (request, reply) => {
    // parse
    const id = param(request.body, 'id') ?? '';
    const password = param(request.body, 'password') ?? '';
    if (!changeAllowed()) throw unavailable();
    checkAccountCsrf(request, deps, 'emails');

    return orLogin(reply, deps, 'emails', async () => {
      const current = await deps.storage.transaction((repos) => signedIn(request, deps, repos));
      const refuse = (message: PageMessage) =>
        sendList(
          request,
          reply,
          current,
          { notice: null, errors: {}, removeError: message, value: '' },
          400,
        );
      if (!(await passwordConfirmed(request, deps, current.user, password, listPath))) {
        return refuse({ ...WRONG_PASSWORD, more: [pageMessage('account.emails.not_removed')] });
      }
      const removed = await deps.storage.transaction(async (repos) => {
        const now = await signedIn(request, deps, repos);
        const row = ULID.test(id) ? await repos.userEmails.lookup(asUserEmailId(id)) : null;
        if (row === null || row.userId !== now.user.id) return 'not-found' as const;
        if (lastIsKept() && (await repos.userEmails.countForUser(now.user)) <= 1) {
          return 'last' as const;
        }
        await repos.userEmails.remove(row);
        await enqueueProvisionUser(repos.queue, deps.rng, deps.clock, now.user.id);
        return 'removed' as const;
      });
      if (removed === 'not-found') {
        throw pageError(
          404,
          'account.emails.address_not_found_title',
          pageMessage('account.emails.address_not_found'),
          { back: listPath },
        );
      }
      if (removed === 'last') {
        return refuse(pageMessage('account.emails.only_address'));
      }
      return reply.header('cache-control', 'no-store').redirect(`${listPath}?removed=1`, 303);
    });
  });
}
