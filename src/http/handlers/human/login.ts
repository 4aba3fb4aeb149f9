// GET and POST /login: the password sign-in form (MAS: views/login.rs).
//
// POST reads top to bottom: parse the form → check CSRF → load the user and their password (one
// read-only transaction) → verify the password and, when its scheme is old, hash it again (both
// outside any transaction: hashing takes tens of milliseconds and must not hold a database
// connection) → check the account may sign in → save the upgraded hash, the session and its
// authentication (one transaction) → set the cookie and redirect to `next`.
//
// Wrong username and wrong password get the same answer, so the form does not reveal which
// usernames exist. A locked or deactivated account is named only after its password was right.

import {
  providerButtons,
  soleProviderRedirect,
  type ProviderButton,
} from '../upstream/provider-buttons.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  PasswordManagerBusyError,
  UnknownPasswordSchemeError,
  type HashedPassword,
} from '../../../crypto/password-manager.ts';
import { isUserDeactivated, isUserLocked, type User } from '../../../model/user.ts';
import { limitOrPage } from '../../../rate-limit/rate-limit-page.ts';
import type { UserPassword } from '../../../model/user-password.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { currentBrowserSession, startBrowserSession } from '../../browser-session.ts';
import { csrfToken, CSRF_FIELD, verifyCsrf } from '../../csrf.ts';
import {
  busyPageError,
  csrfPageError,
  param,
  safeNext,
  sendPage,
  type HumanDeps,
  type HumanPageError,
} from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';

const INVALID_CREDENTIALS = pageMessage('login.errors.invalid_credentials');

/** `mxid:@alice:example.com` → `alice`; a plain localpart stays; anything else → ''. */
export function usernameFromLoginHint(hint: string | undefined): string {
  if (hint === undefined) return '';
  const mxid = /^mxid:@([^:]+):.+$/.exec(hint);
  if (mxid !== null) return mxid[1]!;
  return /^[a-z0-9._=/+-]{1,255}$/.test(hint) ? hint : '';
}

/** What the user typed as their username, as a localpart: `@alice:server` is accepted too. */
function localpart(input: string, serverName: string | null): string | null {
  const trimmed = input.trim();
  if (!trimmed.startsWith('@')) return trimmed;
  const match = /^@([^:]+):(.+)$/.exec(trimmed);
  if (match === null) return null;
  if (serverName !== null && match[2] !== serverName) return null;
  return match[1]!;
}

interface FormState {
  next: string | null;
  username: string;
  error: PageMessage | null;
  signedInAs: string | null;
  /** "Continue with …" buttons of the enabled upstream providers. */
  providers: readonly ProviderButton[];
}

function sendForm(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: HumanDeps,
  state: FormState,
  status = 200,
): FastifyReply {
  return sendPage(
    reply,
    deps,
    'pages/login.html',
    {
      csrf_token: csrfToken(request, reply, deps),
      next: state.next,
      username: state.username,
      error: state.error,
      signed_in_as: state.signedInAs,
      upstream_providers: state.providers,
    },
    status,
  );
}

/** The provider buttons, read in their own transaction (the POST re-renders the form with them). */
function loadProviderButtons(deps: HumanDeps, next: string | null): Promise<ProviderButton[]> {
  return deps.storage.transaction((repos) => providerButtons(deps, repos, next));
}

export function registerLogin(app: FastifyInstance, deps: HumanDeps): void {
  const serverName = deps.config.matrix?.homeserver ?? null;

  app.get('/login', async (request, reply) => {
    const next = safeNext(param(request.query, 'next'));
    const hint = usernameFromLoginHint(param(request.query, 'login_hint'));
    const { current, providers } = await deps.storage.transaction(async (repos) => ({
      current: await currentBrowserSession(request, { ...deps, repos }),
      providers: await providerButtons(deps, repos, next),
    }));
    // MAS's shortcut: passwords off and exactly one provider → straight to it.
    const sole = soleProviderRedirect(deps, providers);
    if (sole !== null) return reply.header('cache-control', 'no-store').redirect(sole, 303);
    if (!deps.passwords.enabled) {
      return sendPage(reply, deps, 'pages/login-disabled.html', { upstream_providers: providers });
    }
    return sendForm(request, reply, deps, {
      next,
      username: current?.user.username ?? hint,
      error: null,
      signedInAs: current?.user.username ?? null,
      providers,
    });
  });

  app.post('/login', async (request, reply) => {
    // parse
    const body = request.body;
    const next = safeNext(param(body, 'next'));
    const typedUsername = param(body, 'username') ?? '';
    const password = param(body, 'password') ?? '';
    // Nothing can change when passwords are off, so this needs no CSRF check.
    if (!deps.passwords.enabled) {
      const providers = await loadProviderButtons(deps, next);
      return sendPage(
        reply,
        deps,
        'pages/login-disabled.html',
        { upstream_providers: providers },
        403,
      );
    }
    verifyCsrfOrThrow(request, deps, param(body, CSRF_FIELD));
    const again = async (error: PageMessage, status: number) =>
      sendForm(
        request,
        reply,
        deps,
        {
          next,
          username: typedUsername.trim(),
          error,
          signedInAs: null,
          providers: await loadProviderButtons(deps, next),
        },
        status,
      );
    if (typedUsername.trim() === '' || password === '') {
      return again(pageMessage('login.errors.missing_fields'), 400);
    }
    const username = localpart(typedUsername, serverName);
    if (username === null) return again(INVALID_CREDENTIALS, 400);

    // load
    const found = await deps.storage.transaction(async (repos) => {
      const user = username.includes('@')
        ? await userByEmail(deps, repos, username)
        : await repos.users.findByUsername(username);
      if (user === null) return null;
      const stored = await repos.userPasswords.active(user);
      return stored === null ? null : { user, stored };
    });

    // limit: before any password is checked (src/rate-limit/rate-limiter.ts says how), keyed by
    // the account itself so a username and an email of one account share one budget
    const account = found?.user.username ?? username;
    await limitOrPage(
      () => deps.rateLimiter.checkLogin(request.ip, account),
      `${deps.urls.basePath}login`,
    );
    if (found === null) {
      // As long as a wrong password takes: the answer must not tell which usernames exist.
      await spendVerificationTime(deps, password);
      return again(INVALID_CREDENTIALS, 400);
    }
    const { user, stored } = found;

    // check the password (and make the upgraded hash) outside any transaction
    const checked = await checkPassword(deps, request, stored, password);
    if (!checked.ok) return again(INVALID_CREDENTIALS, 400);
    await deps.rateLimiter.loginSucceeded(request.ip, account);
    const refusal = accountRefusal(user);
    if (refusal !== null) return again(refusal, 403);

    // mutate and save
    const session = await deps.storage.transaction(async (repos) => {
      const userNow = await repos.users.lookup(user.id);
      if (userNow === null || accountRefusal(userNow) !== null) return null;
      const passwordRow =
        checked.upgrade === null
          ? stored
          : await repos.userPasswords.add(
              deps.rng,
              deps.clock,
              userNow,
              checked.upgrade.version,
              checked.upgrade.hash,
              stored,
            );
      const current = await currentBrowserSession(request, { ...deps, repos });
      let session = current?.session ?? null;
      if (current !== null && current.user.id !== userNow.id) {
        // Signing in as someone else ends the other person's session in this browser.
        await repos.browserSessions.finish(deps.clock, current.session);
        session = null;
      }
      session ??= await repos.browserSessions.add(
        deps.rng,
        deps.clock,
        userNow,
        request.headers['user-agent'] ?? null,
      );
      await repos.browserSessions.authenticate(
        deps.rng,
        deps.clock,
        session,
        'password',
        passwordRow,
      );
      return session;
    });
    if (session === null) return again(pageMessage('login.errors.cannot_sign_in'), 403);

    // respond
    startBrowserSession(reply, deps, session);
    return reply.header('cache-control', 'no-store').redirect(next ?? deps.urls.basePath, 303);
  });
}

function verifyCsrfOrThrow(
  request: FastifyRequest,
  deps: HumanDeps,
  submitted: string | undefined,
): void {
  try {
    verifyCsrf(request, deps, submitted);
  } catch (error) {
    throw csrfPageError(error, `${deps.urls.basePath}login`);
  }
}

/**
 * With `account.login_with_email_allowed`, the user holding `email` as a verified address; when
 * several accounts share it, none (it must name one account). Without it, emails are unknown.
 */
async function userByEmail(
  deps: HumanDeps,
  repos: Pick<Repositories, 'userEmails' | 'users'>,
  email: string,
): Promise<User | null> {
  if (!deps.config.account.login_with_email_allowed) return null;
  const owners = new Set((await repos.userEmails.listByEmail(email)).map((row) => row.userId));
  if (owners.size !== 1) return null;
  return repos.users.lookup([...owners][0]!);
}

function accountRefusal(user: User): PageMessage | null {
  if (isUserDeactivated(user)) return pageMessage('login.errors.deactivated');
  if (isUserLocked(user)) return pageMessage('login.errors.locked');
  return null;
}

function busyPage(deps: HumanDeps): HumanPageError {
  return busyPageError(`${deps.urls.basePath}login`);
}

async function spendVerificationTime(deps: HumanDeps, password: string): Promise<void> {
  try {
    await deps.passwords.verifyNothing(password);
  } catch (error) {
    if (error instanceof PasswordManagerBusyError) throw busyPage(deps);
    throw error;
  }
}

async function checkPassword(
  deps: HumanDeps,
  request: FastifyRequest,
  stored: UserPassword,
  password: string,
): Promise<{ ok: boolean; upgrade: HashedPassword | null }> {
  try {
    const result = await deps.passwords.verify(stored.version, stored.hashedPassword, password);
    if (!result.ok) return { ok: false, upgrade: null };
    return { ok: true, upgrade: result.needsUpgrade ? await deps.passwords.hash(password) : null };
  } catch (error) {
    if (error instanceof PasswordManagerBusyError) throw busyPage(deps);
    if (error instanceof UnknownPasswordSchemeError) {
      // The operator removed a scheme that stored hashes still use: the user cannot sign in
      // with a password until it is configured again or the password is reset.
      request.log.error({ userPasswordId: stored.id, version: error.version }, error.message);
      return { ok: false, upgrade: null };
    }
    throw error;
  }
}
