// Creating an account from an upstream sign-in (MAS: upstream_oauth2/link.rs, "register"): what
// the form offers from the mapped claims (`claims_imports`), the checks password registration
// makes too (the account policy of `policy.data`, a free username, the registration token when
// the provider requires one, the terms of service), and the one transaction that creates the
// user, links the upstream account, adds the verified address, accepts the terms, uses the token,
// queues the homeserver provisioning and signs the browser in.
//
// Email: only an address that counts as verified (`set_email_verification`) is imported, since
// the account's addresses are verified ones; the user can add another from the account page.

import type { FastifyRequest } from 'fastify';
import { registrationTokenState } from '../../../model/registration-token.ts';
import type {
  UpstreamOAuthLink,
  UpstreamOAuthProvider,
  UpstreamOAuthSession,
} from '../../../model/upstream-oauth.ts';
import { enqueueProvisionUser } from '../../../storage/matrix-jobs.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { MappedClaims } from '../../../upstream/claim-mapping.ts';
import type { Claims } from '../../../upstream/claim-requirements.ts';
import { accountPolicy, requesterOf } from '../human/registration-flow.ts';
import { HumanPageError } from '../human/page.ts';
import type { UpstreamDeps } from './upstream-flow.ts';
import { signInThroughUpstream, type UpstreamSignIn } from './upstream-sign-in.ts';

/** What the form shows of one imported attribute. */
export interface OfferedAttribute {
  readonly value: string;
  /** `suggest`: the user may leave it out (a checkbox, ticked). Otherwise it is imported. */
  readonly optional: boolean;
}

export interface RegistrationOffer {
  /** The username to prefill, or '' for the user to choose. */
  readonly username: string;
  /** The username is imported (`force`/`require` with a value): the user cannot change it. */
  readonly usernameFixed: boolean;
  readonly displayName: OfferedAttribute | null;
  readonly email: OfferedAttribute | null;
  /** An address came from the provider but does not count as verified, so it is not imported. */
  readonly unverifiedEmail: string | null;
}

export function registrationOffer(mapped: MappedClaims): RegistrationOffer {
  const localpart = mapped.localpart;
  const fixed =
    (localpart.action === 'force' || localpart.action === 'require') && localpart.value !== null;
  const attribute = (value: string | null, optional: boolean) =>
    value === null ? null : { value, optional };
  return {
    username: localpart.value ?? '',
    usernameFixed: fixed,
    displayName: attribute(mapped.displayname.value, mapped.displayname.optional),
    email: mapped.email.verified ? attribute(mapped.email.value, mapped.email.optional) : null,
    unverifiedEmail:
      mapped.email.value !== null && !mapped.email.verified ? mapped.email.value : null,
  };
}

/** What the user chose (or what `skip_confirmation` takes as chosen). */
export interface RegistrationChoices {
  readonly username: string;
  readonly displayName: string | null;
  readonly email: string | null;
  readonly token: string | null;
  readonly termsAccepted: boolean;
}

/** The choices when nothing is asked: every offered attribute, no token, terms not shown. */
export function defaultChoices(offer: RegistrationOffer): RegistrationChoices {
  return {
    username: offer.username,
    displayName: offer.displayName?.value ?? null,
    email: offer.email?.value ?? null,
    token: null,
    termsAccepted: false,
  };
}

/** The choices from the form: fixed values win over what was posted. */
export function postedChoices(
  offer: RegistrationOffer,
  body: Record<string, unknown>,
): RegistrationChoices {
  const text = (name: string) =>
    typeof body[name] === 'string' ? (body[name] as string).trim() : '';
  const keep = (attribute: OfferedAttribute | null, box: string) =>
    attribute === null ? null : !attribute.optional || body[box] === 'on' ? attribute.value : null;
  const token = text('token');
  return {
    username: offer.usernameFixed ? offer.username : text('username'),
    displayName: keep(offer.displayName, 'import_displayname'),
    email: keep(offer.email, 'import_email'),
    token: token === '' ? null : token,
    termsAccepted: body.accept_terms === 'on',
  };
}

export type RegistrationErrors = Partial<Record<'username' | 'token' | 'accept_terms', string>>;

export interface RegistrationCheck {
  readonly errors: RegistrationErrors;
  /** A problem with the whole request (a banned address, say), or null. */
  readonly formError: string | null;
}

const TOKEN_REFUSALS = {
  unknown: 'This registration token is not valid. Check it and try again.',
  revoked: 'This registration token has been revoked.',
  expired: 'This registration token has expired.',
  used_up: 'This registration token has already been used as many times as it allows.',
} as const;

/** The checks of password registration, read-only; `asked` says whether terms were on the form. */
export async function checkRegistration(
  request: FastifyRequest,
  deps: UpstreamDeps,
  repos: Repositories,
  provider: UpstreamOAuthProvider,
  choices: RegistrationChoices,
  asked: boolean,
): Promise<RegistrationCheck> {
  const errors: RegistrationErrors = {};
  let formError: string | null = null;
  if (choices.username === '') errors.username = 'Choose a username.';
  else {
    for (const violation of accountPolicy(deps.config).registrationViolations({
      username: choices.username,
      email: choices.email,
      requester: requesterOf(request),
    })) {
      if (violation.field === 'username') errors.username ??= violation.message;
      else formError ??= violation.message;
    }
    if (errors.username === undefined && (await repos.users.exists(choices.username))) {
      errors.username = 'This username is taken. Choose another one.';
    }
  }
  if (provider.registrationTokenRequired) {
    const token =
      choices.token === null ? null : await repos.registrationTokens.findByToken(choices.token);
    if (token === null) errors.token = TOKEN_REFUSALS.unknown;
    else {
      const state = registrationTokenState(token, deps.clock.now());
      if (state !== 'valid') errors.token = TOKEN_REFUSALS[state];
    }
  }
  const termsUrl = deps.config.branding.tos_uri ?? null;
  if (termsUrl !== null && asked && !choices.termsAccepted) {
    errors.accept_terms = 'You must accept the terms of service to register.';
  }
  return { errors, formError };
}

export function registrationAsksSomething(
  deps: UpstreamDeps,
  provider: UpstreamOAuthProvider,
): boolean {
  return provider.registrationTokenRequired || deps.config.branding.tos_uri !== undefined;
}

/**
 * Creates the account and signs in (inside the caller's transaction, after checkRegistration).
 * Throws the 409 page when the username or token was taken in the meantime (rolling back).
 */
export async function createUpstreamAccount(
  request: FastifyRequest,
  deps: UpstreamDeps,
  repos: Repositories,
  input: {
    readonly provider: UpstreamOAuthProvider;
    readonly link: UpstreamOAuthLink;
    readonly session: UpstreamOAuthSession;
    readonly claims: Claims;
    readonly choices: RegistrationChoices;
  },
): Promise<UpstreamSignIn> {
  const { choices } = input;
  const back = `${deps.urls.basePath}upstream/link/${input.link.id}`;
  const conflict = (title: string, message: string) =>
    new HumanPageError(409, title, message, { back });

  const user = await repos.users.add(deps.rng, deps.clock, choices.username);
  if (user === null)
    throw conflict('Username taken', 'This username was just taken. Choose another one.');
  const linked = await repos.upstreamOAuthLinks.lookup(input.link.id);
  if (linked === null || linked.userId !== null) {
    throw conflict(
      'Already linked',
      'This account at the provider was just linked to another account.',
    );
  }
  await repos.upstreamOAuthLinks.associate(linked, user.id);
  if (choices.email !== null) {
    // An address another account already has is left out rather than shared.
    if ((await repos.userEmails.listByEmail(choices.email)).length === 0) {
      await repos.userEmails.add(deps.rng, deps.clock, user, choices.email);
    } else {
      request.log.info({ user: user.id }, 'imported email address already in use; not added');
    }
  }
  const termsUrl = deps.config.branding.tos_uri ?? null;
  if (termsUrl !== null && choices.termsAccepted) {
    await repos.userTerms.accept(deps.rng, deps.clock, user, termsUrl);
  }
  if (input.provider.registrationTokenRequired) {
    const token =
      choices.token === null ? null : await repos.registrationTokens.findByToken(choices.token);
    if (token === null || (await repos.registrationTokens.use(deps.clock, token)) === null) {
      throw conflict(
        'Registration token no longer valid',
        'The registration token stopped being valid while you registered. Enter another one.',
      );
    }
  }
  await enqueueProvisionUser(
    repos.queue,
    deps.rng,
    deps.clock,
    user.id,
    choices.displayName ?? undefined,
  );
  return signInThroughUpstream(request, deps, repos, {
    user,
    provider: input.provider,
    session: input.session,
    claims: input.claims,
  });
}
