// GET and POST /upstream/link/{link_id}: what happens after the provider vouched for someone
// (MAS: upstream_oauth2/link.rs). The browser must hold the completed sign-in for this link (see
// upstream-flow.ts `loadPendingLinkSignIn`).
//
// GET, in order:
//   - the link belongs to a user → sign in as them (and continue where the sign-in started);
//   - the imported localpart (`force`/`require`) names an existing account → `on_conflict`
//     decides: link to it and sign in (`add`, `replace`, `set`) or refuse (`fail`);
//   - `skip_confirmation` with nothing to ask (no token, no terms) → create the account at once;
//   - otherwise the page: create a new account (attributes per `claims_imports`), or link to an
//     existing account — the signed-in one, or sign in with a password first and come back.
//   A `login_only` provider never creates accounts: the page only offers linking, and without a
//   signed-in account to link to, the sign-in is refused.
// POST `action=register` creates the account (the checks of password registration, CSRF, the
// registration rate limit); POST `action=link` links to the signed-in account.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UpstreamOAuthLinkId } from '../../../model/upstream-oauth.ts';
import type { User } from '../../../model/user.ts';
import { limitOrPage } from '../../../rate-limit/rate-limit-page.ts';
import type { Repositories } from '../../../storage/storage.ts';
import {
  ClaimMappingError,
  assertMayRegister,
  canSkipConfirmation,
  decideLocalpart,
  mapClaims,
  templateClaims,
  type MappedClaims,
} from '../../../upstream/claim-mapping.ts';
import { currentBrowserSession, type CurrentBrowserSession } from '../../browser-session.ts';
import { csrfToken } from '../../csrf.ts';
import { HumanPageError, param, sendPage } from '../human/page.ts';
import { checkCsrf } from '../human/registration-flow.ts';
import {
  loadPendingLinkSignIn,
  providerName,
  type PendingLinkSignIn,
  type UpstreamDeps,
} from './upstream-flow.ts';
import {
  checkRegistration,
  createUpstreamAccount,
  defaultChoices,
  postedChoices,
  registrationAsksSomething,
  registrationOffer,
  type RegistrationChoices,
  type RegistrationErrors,
} from './upstream-register.ts';
import {
  accountRefusal,
  finishUpstreamSignIn,
  signInThroughUpstream,
  type UpstreamSignIn,
} from './upstream-sign-in.ts';

interface PageOutcome {
  readonly kind: 'page';
  readonly pending: PendingLinkSignIn;
  readonly mapped: MappedClaims;
  readonly current: CurrentBrowserSession | null;
  readonly choices: RegistrationChoices | null;
  readonly errors: RegistrationErrors;
  readonly formError: string | null;
  /** Why a new account cannot be made here (login_only, localpart taken), or null. */
  readonly noRegistration: string | null;
  readonly status: number;
}

type Outcome = { readonly kind: 'signed-in'; readonly signIn: UpstreamSignIn } | PageOutcome;

function mappingPage(deps: UpstreamDeps, error: ClaimMappingError): HumanPageError {
  const status =
    error.kind === 'missing_claim' ? 400 : error.kind === 'localpart_taken' ? 409 : 403;
  return new HumanPageError(status, 'Sign-in cannot continue', error.message, {
    back: `${deps.urls.basePath}login`,
  });
}

function mapOrPage(deps: UpstreamDeps, pending: PendingLinkSignIn): MappedClaims {
  try {
    return mapClaims(pending.provider.claimsImports, claimsOf(pending));
  } catch (error) {
    if (error instanceof ClaimMappingError) throw mappingPage(deps, error);
    throw error;
  }
}

function claimsOf(pending: PendingLinkSignIn) {
  return templateClaims(pending.session.idTokenClaims, pending.session.userinfo);
}

/** `on_conflict` for an imported localpart: the existing user to link to, null, or a refusal. */
async function conflictingUser(
  repos: Repositories,
  pending: PendingLinkSignIn,
  mapped: MappedClaims,
): Promise<{ user: User; replace: readonly UpstreamOAuthLinkId[] } | { refusal: string } | null> {
  const localpart = mapped.localpart;
  if (
    localpart.value === null ||
    (localpart.action !== 'force' && localpart.action !== 'require')
  ) {
    return null;
  }
  const existing = await repos.users.findByUsername(localpart.value);
  if (existing === null) return null;
  const links = (await repos.upstreamOAuthLinks.listForUser(existing.id)).filter(
    (link) => link.providerId === pending.provider.id,
  );
  const decision = decideLocalpart(pending.provider.claimsImports.localpart.onConflict, { links });
  if (decision.outcome === 'refuse') return { refusal: decision.error.message };
  if (decision.outcome === 'register') return null;
  return { user: existing, replace: decision.replace };
}

/** Signs in as `user` through the provider's completed sign-in. */
async function signedInAs(
  request: FastifyRequest,
  deps: UpstreamDeps,
  repos: Repositories,
  pending: PendingLinkSignIn,
  user: User,
): Promise<Outcome> {
  return {
    kind: 'signed-in',
    signIn: await signInThroughUpstream(request, deps, repos, {
      user,
      provider: pending.provider,
      session: pending.session,
      claims: claimsOf(pending),
    }),
  };
}

/** Creates the account with `choices`, linked to the provider, and signs in as it. */
async function registered(
  request: FastifyRequest,
  deps: UpstreamDeps,
  repos: Repositories,
  pending: PendingLinkSignIn,
  choices: RegistrationChoices,
): Promise<Outcome> {
  return {
    kind: 'signed-in',
    signIn: await createUpstreamAccount(request, deps, repos, {
      provider: pending.provider,
      link: pending.link,
      session: pending.session,
      claims: claimsOf(pending),
      choices,
    }),
  };
}

/**
 * Creates the account with `choices` when the registration checks pass (`asked`: the user chose
 * them on the page); otherwise the page again, with what is wrong, answered with `status`.
 */
async function registerOrPage(
  request: FastifyRequest,
  deps: UpstreamDeps,
  repos: Repositories,
  page: Pick<PageOutcome, 'pending' | 'mapped' | 'current'>,
  choices: RegistrationChoices,
  asked: boolean,
  status: number,
): Promise<Outcome> {
  const check = await checkRegistration(
    request,
    deps,
    repos,
    page.pending.provider,
    choices,
    asked,
  );
  if (check.formError === null && Object.keys(check.errors).length === 0) {
    return registered(request, deps, repos, page.pending, choices);
  }
  return { kind: 'page', ...page, choices, ...check, noRegistration: null, status };
}

export function registerUpstreamLink(app: FastifyInstance, deps: UpstreamDeps): void {
  const pagePath = (request: FastifyRequest) =>
    `${deps.urls.basePath}upstream/link/${(request.params as { linkId: string }).linkId}`;

  function render(request: FastifyRequest, reply: FastifyReply, outcome: PageOutcome) {
    const { pending, mapped, current } = outcome;
    const offer = registrationOffer(mapped);
    const choices = outcome.choices ?? defaultChoices(offer);
    const here = pagePath(request);
    return sendPage(
      reply,
      deps,
      'pages/upstream-link.html',
      {
        csrf_token: csrfToken(request, reply, deps),
        action: here,
        provider_name: providerName(pending.provider),
        account_name: pending.link.humanAccountName,
        can_register: outcome.noRegistration === null,
        no_registration: outcome.noRegistration,
        username: choices.username,
        username_fixed: offer.usernameFixed,
        display_name: offer.displayName,
        import_display_name: offer.displayName !== null && choices.displayName !== null,
        email: offer.email,
        import_email: offer.email !== null && choices.email !== null,
        unverified_email: offer.unverifiedEmail,
        token_required: pending.provider.registrationTokenRequired,
        token: choices.token ?? '',
        terms_url: deps.config.branding.tos_uri ?? null,
        errors: outcome.errors,
        error: outcome.formError,
        signed_in_as: current?.user.username ?? null,
        login_href: `${deps.urls.basePath}login?${new URLSearchParams({ next: here })}`,
      },
      outcome.status,
    );
  }

  function respond(request: FastifyRequest, reply: FastifyReply, outcome: Outcome) {
    if (outcome.kind === 'signed-in')
      return finishUpstreamSignIn(request, reply, deps, outcome.signIn);
    return render(request, reply, outcome);
  }

  app.get('/upstream/link/:linkId', async (request, reply) => {
    const outcome = await deps.storage.transaction(async (repos): Promise<Outcome> => {
      // load
      const pending = await loadPendingLinkSignIn(request, deps, repos);
      const current = await currentBrowserSession(request, { ...deps, repos });

      // an existing link: sign in as its user
      if (pending.link.userId !== null) {
        const user = await repos.users.lookup(pending.link.userId);
        if (user === null)
          throw new HumanPageError(
            404,
            'Account not found',
            'The linked account no longer exists.',
          );
        return signedInAs(request, deps, repos, pending, user);
      }

      // a new upstream account: the imported localpart may name an existing account
      const mapped = mapOrPage(deps, pending);
      const conflict = await conflictingUser(repos, pending, mapped);
      if (conflict !== null && 'user' in conflict) {
        const refusal = accountRefusal(deps, conflict.user);
        if (refusal !== null) throw refusal;
        for (const id of conflict.replace) await repos.upstreamOAuthLinks.remove(deps.clock, id);
        await repos.upstreamOAuthLinks.associate(pending.link, conflict.user.id);
        return signedInAs(request, deps, repos, pending, conflict.user);
      }
      let noRegistration = conflict !== null ? conflict.refusal : null;
      try {
        assertMayRegister(pending.provider);
      } catch (error) {
        if (!(error instanceof ClaimMappingError)) throw error;
        // Nothing to link to and no account may be made: refuse outright.
        if (current === null) throw mappingPage(deps, error);
        noRegistration = error.message;
      }

      // skip_confirmation: create the account at once when nothing needs asking
      if (
        noRegistration === null &&
        current === null &&
        canSkipConfirmation(pending.provider.claimsImports, mapped) &&
        !registrationAsksSomething(deps, pending.provider)
      ) {
        const choices = defaultChoices(registrationOffer(mapped));
        return registerOrPage(
          request,
          deps,
          repos,
          { pending, mapped, current },
          choices,
          false,
          409,
        );
      }
      return {
        kind: 'page',
        pending,
        mapped,
        current,
        choices: null,
        errors: {},
        formError: null,
        noRegistration,
        status: 200,
      };
    });

    // respond
    return respond(request, reply, outcome);
  });

  app.post('/upstream/link/:linkId', async (request, reply) => {
    // parse
    const body = (request.body ?? {}) as Record<string, unknown>;
    const action = param(body, 'action');
    checkCsrf(request, deps, pagePath(request));
    if (action !== 'register' && action !== 'link') {
      throw new HumanPageError(
        400,
        'Bad request',
        'Choose whether to create an account or link one.',
        {
          back: pagePath(request),
        },
      );
    }
    if (action === 'register') {
      await limitOrPage(() => deps.rateLimiter.checkRegistration(request.ip), pagePath(request));
    }

    const outcome = await deps.storage.transaction(async (repos): Promise<Outcome> => {
      // load
      const pending = await loadPendingLinkSignIn(request, deps, repos);
      if (pending.link.userId !== null) {
        throw new HumanPageError(
          409,
          'Already linked',
          'This account at the provider is already linked. Sign in again.',
          {
            back: `${deps.urls.basePath}login`,
          },
        );
      }
      const current = await currentBrowserSession(request, { ...deps, repos });

      // link to the signed-in account
      if (action === 'link') {
        if (current === null) {
          throw new HumanPageError(
            403,
            'Not signed in',
            'Sign in to the account you want to link first.',
            {
              back: pagePath(request),
            },
          );
        }
        await repos.upstreamOAuthLinks.associate(pending.link, current.user.id);
        return signedInAs(request, deps, repos, pending, current.user);
      }

      // create a new account
      const mapped = mapOrPage(deps, pending);
      try {
        assertMayRegister(pending.provider);
      } catch (error) {
        if (error instanceof ClaimMappingError) throw mappingPage(deps, error);
        throw error;
      }
      const conflict = await conflictingUser(repos, pending, mapped);
      if (conflict !== null) {
        throw new HumanPageError(
          409,
          'Username taken',
          'An account with this username already exists.',
          {
            back: pagePath(request),
          },
        );
      }
      const choices = postedChoices(registrationOffer(mapped), body);
      return registerOrPage(request, deps, repos, { pending, mapped, current }, choices, true, 400);
    });

    // respond
    return respond(request, reply, outcome);
  });
}
