// GET /account/tokens: the signed-in user's personal access tokens (`mpt_`, the sessions they own
// that act as themselves): name, scopes, created, expires, last used, each with a revoke button;
// and a form to create one. MAS issues these only through the Admin API; here users serve
// themselves (MAS issue #4492), unless `account.personal_access_tokens_allowed` is false.
//
// POST /account/tokens (CSRF): `name`, `scope` (one or more of the offered scopes), `expires`
// (days: 1, 7, 30, 90, or `never`). The scopes offered follow the grant policy
// (src/oauth2/grant-policy.ts): the Matrix client API when a homeserver is configured, and the
// admin scopes (`urn:mas:admin`, `urn:synapse:admin:*`) only to admins. Never a device scope:
// a token is not a device. The answer is the page itself with the new token, shown this once
// (never stored: only its SHA-256 is kept). Bad input re-renders the form with its errors (400).
//
// POST /account/tokens/revoke (CSRF, `id`): revokes one of the user's tokens and drops cached
// introspections, so it stops working at once. Someone else's or an unknown id is "not found";
// an already revoked one is not an error (two tabs).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  asPersonalSessionId,
  isPersonalSessionActive,
  type PersonalSession,
} from '../../../model/personal-session.ts';
import type { User } from '../../../model/user.ts';
import { grantPolicyConfig, grantPolicyViolations } from '../../../oauth2/grant-policy.ts';
import {
  MAS_ADMIN_SCOPE,
  MATRIX_API_SCOPE,
  SYNAPSE_ADMIN_SCOPE,
} from '../../../oauth2/matrix-scopes.ts';
import {
  issuePersonalSession,
  revokePersonalSession,
} from '../../../services/personal-sessions.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { CurrentBrowserSession } from '../../browser-session.ts';
import {
  accountContext,
  accountUrl,
  checkAccountCsrf,
  ACCOUNT_PATHS,
  orLogin,
  showDate,
  signedIn,
  type AccountDeps,
} from './account-access.ts';
import { pageError, param, sendPage } from './page.ts';
import { pageMessage } from './page-message.ts';

const PATH = ACCOUNT_PATHS.tokens;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** A name is for people: short enough to show in a list. */
export const MAX_TOKEN_NAME_LENGTH = 100;
/** The lifetimes offered, in days; `never` is offered too. */
export const TOKEN_LIFETIME_DAYS = [1, 7, 30, 90] as const;
const DEFAULT_LIFETIME = '30';
/** How many active tokens one user may hold (a runaway script must not fill the table). */
export const MAX_ACTIVE_TOKENS = 50;

/** The scopes this user may put on a token, in the order shown, each with its label key. */
export function offeredScopes(
  deps: Pick<AccountDeps, 'config'>,
  user: Pick<User, 'username' | 'canRequestAdmin'>,
): { value: string; label: string }[] {
  const candidates = [
    { value: MATRIX_API_SCOPE, label: 'account_tokens.scope_matrix' },
    { value: SYNAPSE_ADMIN_SCOPE, label: 'account_tokens.scope_synapse_admin' },
    { value: MAS_ADMIN_SCOPE, label: 'account_tokens.scope_mas_admin' },
  ];
  const policy = grantPolicyConfig(deps.config);
  return candidates.filter(
    ({ value }) =>
      grantPolicyViolations(
        { grant: 'authorization_code', scopes: [value], clientId: '', user },
        policy,
      ).length === 0,
  );
}

interface TokenForm {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expires: string;
}

type FormErrors = Partial<Record<'name' | 'scope' | 'expires', string>>;

/** Every value of a form field (checkboxes repeat it). */
function values(body: unknown, key: string): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const value = (body as Record<string, unknown>)[key];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

const tokensUrl = (deps: AccountDeps) => accountUrl(deps, 'tokens');

/** The user's own tokens: sessions they own acting as themselves, active first, newest first. */
async function ownTokens(repos: Repositories, user: User) {
  const page = await repos.personalSessions.list(
    { ownerUserId: user.id, actorUserId: user.id, state: 'active' },
    { last: MAX_ACTIVE_TOKENS },
  );
  return page.items.reverse();
}

function tokenView(session: PersonalSession, expiresAt: Date | null) {
  return {
    id: session.id,
    name: session.humanName,
    scopes: session.scope.split(' '),
    created: showDate(session.createdAt),
    expires: showDate(expiresAt),
    last_used: showDate(session.lastActiveAt),
  };
}

export function registerAccountTokens(app: FastifyInstance, deps: AccountDeps): void {
  const enabled = () => deps.config.account.personal_access_tokens_allowed;
  const notOffered = () =>
    pageError(404, 'account.tokens.not_offered_title', pageMessage('account.tokens.not_offered'), {
      back: `${deps.urls.basePath}account`,
    });

  /** Renders the page for `current`, with the form's state and the token just created. */
  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    repos: Repositories,
    current: CurrentBrowserSession,
    state: {
      form?: TokenForm;
      errors?: FormErrors;
      created?: { name: string; token: string };
      status?: number;
    } = {},
  ): Promise<FastifyReply> {
    const tokens = await ownTokens(repos, current.user);
    const offered = offeredScopes(deps, current.user);
    const form = state.form ?? {
      name: '',
      scopes: offered.length === 1 ? [offered[0]!.value] : [],
      expires: DEFAULT_LIFETIME,
    };
    return sendPage(
      reply,
      deps,
      'pages/account-tokens.html',
      {
        ...accountContext(request, reply, deps, current),
        tokens: tokens.map(({ session, token }) => tokenView(session, token?.expiresAt ?? null)),
        scopes: offered.map((scope) => ({
          ...scope,
          checked: form.scopes.includes(scope.value),
        })),
        lifetimes: [
          ...TOKEN_LIFETIME_DAYS.map((days) => ({ value: String(days), days })),
          { value: 'never', days: null },
        ].map((lifetime) => ({ ...lifetime, selected: lifetime.value === form.expires })),
        name: form.name,
        max_name_length: MAX_TOKEN_NAME_LENGTH,
        errors: state.errors ?? {},
        created: state.created ?? null,
      },
      state.status ?? 200,
    );
  }

  app.get(`/${PATH}`, async (request, reply) => {
    if (!enabled()) throw notOffered();
    return orLogin(reply, deps, 'tokens', () =>
      deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        return render(request, reply, repos, current);
      }),
    );
  });

  app.post(`/${PATH}`, async (request, reply) => {
    if (!enabled()) throw notOffered();
    checkAccountCsrf(request, deps, 'tokens');
    const form: TokenForm = {
      name: (param(request.body, 'name') ?? '').trim(),
      scopes: [...new Set(values(request.body, 'scope'))],
      expires: param(request.body, 'expires') ?? '',
    };
    return orLogin(reply, deps, 'tokens', () =>
      deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const offered = offeredScopes(deps, current.user).map((s) => s.value);
        const errors: FormErrors = {};
        if (form.name === '') errors.name = 'account_tokens.error_name_required';
        else if (form.name.length > MAX_TOKEN_NAME_LENGTH) {
          errors.name = 'account_tokens.error_name_too_long';
        }
        if (form.scopes.length === 0) errors.scope = 'account_tokens.error_scope_required';
        else if (!form.scopes.every((scope) => offered.includes(scope))) {
          errors.scope = 'account_tokens.error_scope_not_allowed';
        }
        const days =
          form.expires === 'never'
            ? null
            : (TOKEN_LIFETIME_DAYS as readonly number[]).includes(Number(form.expires))
              ? Number(form.expires)
              : undefined;
        if (days === undefined) errors.expires = 'account_tokens.error_expires';
        if (Object.keys(errors).length === 0) {
          const active = await repos.personalSessions.count({
            ownerUserId: current.user.id,
            state: 'active',
          });
          if (active >= MAX_ACTIVE_TOKENS) errors.name = 'account_tokens.error_too_many';
        }
        if (Object.keys(errors).length > 0) {
          return render(request, reply, repos, current, { form, errors, status: 400 });
        }
        const issued = await issuePersonalSession(repos, deps, {
          owner: { userId: current.user.id },
          actor: current.user,
          humanName: form.name,
          scope: form.scopes.join(' '),
          expiresIn: days === null || days === undefined ? null : days * 86_400,
        });
        return render(request, reply, repos, current, {
          created: { name: form.name, token: issued.accessToken },
        });
      }),
    );
  });

  app.post(`/${PATH}/revoke`, async (request, reply) => {
    if (!enabled()) throw notOffered();
    checkAccountCsrf(request, deps, 'tokens');
    const id = param(request.body, 'id') ?? '';
    const notFound = pageError(
      404,
      'account.tokens.not_found_title',
      pageMessage('account.tokens.not_found'),
      { back: tokensUrl(deps) },
    );
    if (!ULID.test(id)) throw notFound;
    return orLogin(reply, deps, 'tokens', async () => {
      await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const session = await repos.personalSessions.lookup(asPersonalSessionId(id));
        if (session === null || session.owner.userId !== current.user.id) throw notFound;
        if (isPersonalSessionActive(session)) await revokePersonalSession(repos, deps, session);
      });
      return reply.header('cache-control', 'no-store').redirect(tokensUrl(deps), 303);
    });
  });
}
