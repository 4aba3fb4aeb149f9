// GET and POST /account/password: change the password, knowing the current one (MAS: the
// account's password section), when passwords are on and `account.password_change_allowed`.
// GET /.well-known/change-password (W3C "well-known URL for changing passwords") sends password
// managers here.
//
// POST reads top to bottom: parse → CSRF → load the signed-in user and their password (one
// read-only transaction) → rate limit (`checkPasswordChange`, before the current password is
// checked) → verify the current password (outside any transaction) → the new one twice, then its
// complexity (zxcvbn) → hash it (outside any transaction) → one transaction: a new password row
// → 303 back with a notice. Other sessions keep running: ending them is the sessions page's job.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PasswordManagerBusyError } from '../../../crypto/password-manager.ts';
import type { UserPassword } from '../../../model/user-password.ts';
import { checkPasswordComplexity } from '../../../policy/password-complexity.ts';
import { limitOrPage } from '../../../rate-limit/rate-limit-page.ts';
import type { CurrentBrowserSession } from '../../browser-session.ts';
import {
  accountContext,
  accountUrl,
  checkAccountCsrf,
  orLogin,
  passwordChangeAllowed,
  signedIn,
  type AccountDeps,
} from './account-access.ts';
import { passwordComplexityMessage } from './policy-messages.ts';
import { busyPageError, pageError, param, sendPage } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';

type FieldErrors = Partial<
  Record<'current_password' | 'new_password' | 'new_password_confirm', PageMessage>
>;

export function registerAccountPassword(app: FastifyInstance, deps: AccountDeps): void {
  const formPath = accountUrl(deps, 'password');

  const unavailable = () =>
    pageError(
      404,
      'account.password.unavailable_title',
      pageMessage('account.password.unavailable'),
      { back: accountUrl(deps, 'overview') },
    );
  const tooBusy = () => busyPageError(formPath);

  function sendForm(
    request: FastifyRequest,
    reply: FastifyReply,
    current: CurrentBrowserSession,
    state: { hasPassword: boolean; changed: boolean; errors: FieldErrors },
    status = 200,
  ): FastifyReply {
    return sendPage(
      reply,
      deps,
      'pages/account-password.html',
      {
        ...accountContext(request, reply, deps, current),
        has_password: state.hasPassword,
        changed: state.changed,
        errors: state.errors,
      },
      status,
    );
  }

  app.get('/.well-known/change-password', async (_request, reply) =>
    reply.header('cache-control', 'no-store').redirect(formPath, 303),
  );

  app.get('/account/password', async (request, reply) => {
    if (!passwordChangeAllowed(deps)) throw unavailable();
    return orLogin(reply, deps, 'password', async () => {
      const { current, stored } = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        return { current, stored: await repos.userPasswords.active(current.user) };
      });
      return sendForm(request, reply, current, {
        hasPassword: stored !== null,
        changed: param(request.query, 'changed') === '1',
        errors: {},
      });
    });
  });

  app.post('/account/password', async (request, reply) => {
    // parse
    const currentPassword = param(request.body, 'current_password') ?? '';
    const newPassword = param(request.body, 'new_password') ?? '';
    const confirm = param(request.body, 'new_password_confirm') ?? '';
    if (!passwordChangeAllowed(deps)) throw unavailable();
    checkAccountCsrf(request, deps, 'password');

    return orLogin(reply, deps, 'password', async () => {
      // load
      const { current, stored } = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        return { current, stored: await repos.userPasswords.active(current.user) };
      });
      const again = (errors: FieldErrors) =>
        sendForm(
          request,
          reply,
          current,
          { hasPassword: stored !== null, changed: false, errors },
          400,
        );
      if (stored === null) return again({});

      // limit, then check the current password outside any transaction
      const account = current.user.username;
      await limitOrPage(() => deps.rateLimiter.checkPasswordChange(request.ip, account), formPath);
      if (currentPassword === '' || !(await verify(stored, currentPassword))) {
        return again({ current_password: pageMessage('account.wrong_password') });
      }
      await deps.rateLimiter.passwordChangeSucceeded(account);

      // check the new password
      if (newPassword === '') {
        return again({ new_password: pageMessage('account.password.new_required') });
      }
      if (newPassword !== confirm) {
        return again({ new_password_confirm: pageMessage('policy.passwords_mismatch') });
      }
      const complexity = await checkPasswordComplexity(
        newPassword,
        deps.config.passwords.minimum_complexity,
        [account, deps.config.branding.service_name ?? ''],
      );
      if (!complexity.ok) {
        return again({ new_password: passwordComplexityMessage(complexity) });
      }

      // hash outside any transaction, then save
      let hashed;
      try {
        hashed = await deps.passwords.hash(newPassword);
      } catch (error) {
        if (error instanceof PasswordManagerBusyError) throw tooBusy();
        throw error;
      }
      await deps.storage.transaction(async (repos) => {
        const now = await signedIn(request, deps, repos);
        await repos.userPasswords.add(deps.rng, deps.clock, now.user, hashed.version, hashed.hash);
      });
      return reply.header('cache-control', 'no-store').redirect(`${formPath}?changed=1`, 303);
    });
  });

  async function verify(stored: UserPassword, password: string): Promise<boolean> {
    try {
      return (await deps.passwords.verify(stored.version, stored.hashedPassword, password)).ok;
    } catch (error) {
      if (error instanceof PasswordManagerBusyError) throw tooBusy();
      // A scheme the operator removed: the current password cannot be checked here.
      return false;
    }
  }
}
