// `GET /authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2) and `GET /authorize/continue/{grant_id}`,
// where the login page sends the browser back. Served by the human resource (cookies, HTML errors).
//
// parse the query (duplicates refused) → load the client → trust the redirect URI → validate the
// rest → decide: sign in first, ask for consent, or answer at once (remembered consent) → store
// the grant (one transaction) → redirect.
//
// Until the client and redirect URI are known good, every error is an HTML page and nothing is
// redirected (RFC 6749 §4.1.2.1: never send the browser to an unverified URI). After that, errors
// go back to the client in the requested response mode, with `state`.
//
// Stricter than MAS: `prompt=login` and `max_age` force a new sign-in, consent is remembered per
// user, client and scope set (asked again when the scopes grow or with `prompt=consent`),
// `prompt=none` answers `consent_required` when consent is missing, and public clients must use
// PKCE with S256.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tokenHash } from '../../../crypto/tokens.ts';
import type { AuthorizationGrant, ResponseMode } from '../../../model/authorization-grant.ts';
import { consentCovers } from '../../../model/consent.ts';
import { asAuthorizationGrantId, asOAuth2ClientId } from '../../../model/ids.ts';
import { allowsGrant, isPublicClient, type OAuth2Client } from '../../../model/oauth2-client.ts';
import { OAuthError } from '../../../oauth2/errors.ts';
import { parseQueryParams, type FormParams } from '../../../oauth2/form-params.ts';
import { isCodeChallengeMethod, isValidCodeChallenge } from '../../../oauth2/pkce.ts';
import { resolveRedirectUri } from '../../../oauth2/redirect-uri.ts';
import { grantPolicyConfig, grantPolicyViolations } from '../../../oauth2/grant-policy.ts';
import { formatScope, parseScope } from '../../../oauth2/scope.ts';
import { randomString } from '../../../rng.ts';
import { userGrantViolations } from '../../../services/grant-check.ts';
import type { NewAuthorizationGrant } from '../../../storage/authorization-grant-repository.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { currentBrowserSession, type CurrentBrowserSession } from '../../browser-session.ts';
import { pageError, sendPage, type HumanDeps, type HumanPageError } from '../human/page.ts';
import { pageMessage, type PageMessage } from '../human/page-message.ts';
import { grantViolationMessage } from '../human/policy-messages.ts';
import { sessionLimitRedirect } from '../human/session-limit.ts';

const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 32 alphanumerics (~190 bits), as MAS; only the SHA-256 is stored. */
const CODE_LENGTH = 32;
/** Longest `state`, `nonce`, `login_hint` or `ui_locales` kept (they are stored and echoed). */
const MAX_VALUE_LENGTH = 2048;
const PROMPTS = new Set(['none', 'login', 'consent', 'create', 'select_account']);
const RESPONSE_MODES: readonly ResponseMode[] = ['query', 'fragment', 'form_post'];

/** An error that goes back to the client (any code of RFC 6749 §4.1.2.1 or OIDC Core §3.1.2.6). */
export interface AuthorizationError {
  readonly error: string;
  readonly description: string;
}

/** Thrown while validating a request whose redirect URI is already trusted. */
class RedirectableError extends Error {
  readonly error: string;
  constructor(error: string, description: string) {
    super(description);
    this.error = error;
  }
}

const invalidPage = (message: PageMessage): HumanPageError =>
  pageError(400, 'authorize.invalid_title', message);

/** Where the response goes and how, once the redirect URI is trusted. */
interface ResponseTarget {
  readonly client: OAuth2Client;
  readonly redirectUri: string;
  readonly responseMode: ResponseMode;
  readonly state: string | null;
}

export function registerAuthorize(app: FastifyInstance, deps: HumanDeps): void {
  app.get('/authorize', async (request, reply) => {
    // parse: duplicates or bad escapes make the whole request untrustworthy
    let params: FormParams;
    try {
      params = parseQueryParams(request.url);
    } catch (error) {
      throw invalidPage(
        pageMessage('authorize.malformed', {
          detail: (error instanceof OAuthError ? error.description : undefined) ?? 'malformed',
        }),
      );
    }
    const clientId = params.get('client_id');
    if (clientId === undefined) throw invalidPage(pageMessage('authorize.no_client'));
    if (clientId.length > 100) throw invalidPage(pageMessage('authorize.unknown_client'));

    const outcome = await deps.storage.transaction(async (repos) => {
      // load the client and trust the redirect URI
      const client = await repos.oauth2Clients.lookup(asOAuth2ClientId(clientId));
      if (client === null) throw invalidPage(pageMessage('authorize.unknown_client'));
      const redirectUri = resolveRedirectUri(client.redirectUris, params.get('redirect_uri'));
      if (redirectUri === null) {
        throw invalidPage(
          pageMessage(
            params.has('redirect_uri')
              ? 'authorize.redirect_not_registered'
              : 'authorize.redirect_missing',
          ),
        );
      }
      const stateValue = params.get('state');
      const state =
        stateValue !== undefined && stateValue.length <= MAX_VALUE_LENGTH ? stateValue : null;
      const requestedMode = params.get('response_mode');
      const modeKnown =
        requestedMode === undefined ||
        (RESPONSE_MODES as readonly string[]).includes(requestedMode);
      const target: ResponseTarget = {
        client,
        redirectUri,
        responseMode:
          modeKnown && requestedMode !== undefined ? (requestedMode as ResponseMode) : 'query',
        state,
      };

      // validate the rest; from here on errors go back to the client
      let fields: NewAuthorizationGrant;
      try {
        if (!modeKnown) throw new RedirectableError('invalid_request', 'unsupported response_mode');
        if (stateValue !== undefined && state === null) {
          throw new RedirectableError('invalid_request', 'state is too long');
        }
        fields = validate(params, target, deps.config);
      } catch (error) {
        if (!(error instanceof RedirectableError)) throw error;
        return {
          kind: 'error' as const,
          target,
          error: { error: error.error, description: error.message },
        };
      }

      // decide
      const current = await currentBrowserSession(request, { ...deps, repos });
      const now = deps.clock.now();
      const step = await nextStep(repos, { ...fields, createdAt: now }, current, now);
      const prompts = promptsOf(fields.prompt);
      if (prompts.has('none') && step !== 'fulfil') {
        return {
          kind: 'error' as const,
          target,
          error:
            step === 'login'
              ? { error: 'login_required', description: 'the user must sign in' }
              : { error: 'consent_required', description: 'the user must consent' },
        };
      }

      // mutate and save
      const grant = await repos.authorizationGrants.add(deps.rng, deps.clock, fields);
      if (step === 'fulfil') {
        // This grant is rolled back when the soft session limit interrupts: come back to the
        // same request instead (with prompt=none no page may be shown: the refusal stays).
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
        const code = await fulfil(
          repos,
          deps,
          grant,
          current!,
          prompts.has('none') ? null : `${deps.urls.basePath}authorize${query}`,
        );
        return { kind: 'code' as const, target, code };
      }
      if (step === 'consent') return { kind: 'go' as const, to: consentPath(deps, grant) };
      const wantsRegistration =
        current === null &&
        prompts.has('create') &&
        deps.config.account.password_registration_enabled;
      return {
        kind: 'go' as const,
        to: loginPath(deps, grant, wantsRegistration ? 'register' : 'login'),
      };
    });

    // respond
    switch (outcome.kind) {
      case 'error':
        return sendAuthorizationResponse(reply, deps, outcome.target, {
          error: outcome.error.error,
          error_description: outcome.error.description,
        });
      case 'code':
        return sendAuthorizationResponse(reply, deps, outcome.target, { code: outcome.code });
      case 'go':
        return reply.header('cache-control', 'no-store').redirect(outcome.to, 303);
    }
  });

  // The login page comes back here; the grant decides again what the browser needs.
  app.get('/authorize/continue/:grantId', async (request, reply) => {
    const outcome = await deps.storage.transaction(async (repos) => {
      const { grant, client } = await loadPendingGrant(repos, request);
      const current = await currentBrowserSession(request, { ...deps, repos });
      const now = deps.clock.now();
      const step = await nextStep(repos, grant, current, now);
      if (step === 'login') return { kind: 'go' as const, to: loginPath(deps, grant, 'login') };
      if (step === 'consent') return { kind: 'go' as const, to: consentPath(deps, grant) };
      const code = await fulfil(repos, deps, grant, current!);
      return { kind: 'code' as const, target: targetOf(grant, client), code };
    });
    if (outcome.kind === 'go') {
      return reply.header('cache-control', 'no-store').redirect(outcome.to, 303);
    }
    return sendAuthorizationResponse(reply, deps, outcome.target, { code: outcome.code });
  });
}

/** The grant's fields from the request's parameters, or a RedirectableError. */
function validate(
  params: FormParams,
  target: ResponseTarget,
  config: HumanDeps['config'],
): NewAuthorizationGrant {
  const fail = (error: string, description: string) => new RedirectableError(error, description);
  if (params.has('request'))
    throw fail('request_not_supported', 'request objects are not supported');
  if (params.has('request_uri')) {
    throw fail('request_uri_not_supported', 'request_uri is not supported');
  }
  if (params.has('registration')) {
    throw fail('registration_not_supported', 'the registration parameter is not supported');
  }

  const responseType = params.get('response_type');
  if (responseType === undefined) throw fail('invalid_request', 'response_type is required');
  if (responseType !== 'code') {
    throw fail('unsupported_response_type', 'only the code response type is supported');
  }
  if (!allowsGrant(target.client, 'authorization_code')) {
    throw fail('unauthorized_client', 'this client may not use the authorization code grant');
  }

  let scopes: string[];
  try {
    scopes = parseScope(params.get('scope'));
  } catch {
    throw fail('invalid_scope', 'the scope is malformed');
  }
  if (scopes.length === 0) throw fail('invalid_scope', 'scope is required');
  // The grant policy's rules about the scope alone; those about the user wait for consent.
  const violation = grantPolicyViolations(
    { grant: 'authorization_code', scopes, clientId: target.client.id },
    grantPolicyConfig(config),
  )[0];
  if (violation !== undefined) throw fail('invalid_scope', violation.message);

  // PKCE (RFC 7636 §4.3): S256 is required of public clients; plain only for confidential ones.
  const challenge = params.get('code_challenge') ?? null;
  const methodValue = params.get('code_challenge_method');
  if (challenge === null && methodValue !== undefined) {
    throw fail('invalid_request', 'code_challenge_method without code_challenge');
  }
  let method: 'S256' | 'plain' | null = null;
  if (challenge !== null) {
    const given = methodValue ?? 'plain';
    if (!isCodeChallengeMethod(given)) {
      throw fail('invalid_request', 'unsupported code_challenge_method');
    }
    if (!isValidCodeChallenge(challenge, given))
      throw fail('invalid_request', 'malformed code_challenge');
    method = given;
  }
  if (isPublicClient(target.client)) {
    if (challenge === null) throw fail('invalid_request', 'public clients must use PKCE (S256)');
    if (method !== 'S256') {
      throw fail('invalid_request', 'public clients must use the S256 code challenge method');
    }
  }

  const promptValue = params.get('prompt') ?? null;
  const prompts = promptsOf(promptValue);
  for (const prompt of prompts) {
    if (!PROMPTS.has(prompt)) throw fail('invalid_request', 'unsupported prompt value');
  }
  if (prompts.has('none') && prompts.size > 1) {
    throw fail('invalid_request', 'prompt=none cannot be combined with other values');
  }

  const maxAgeValue = params.get('max_age');
  let maxAge: number | null = null;
  if (maxAgeValue !== undefined) {
    if (!/^\d{1,9}$/.test(maxAgeValue))
      throw fail('invalid_request', 'max_age must be a number of seconds');
    maxAge = Number(maxAgeValue);
  }

  const short = (name: string): string | null => {
    const value = params.get(name);
    if (value === undefined) return null;
    if (value.length > MAX_VALUE_LENGTH) throw fail('invalid_request', `${name} is too long`);
    return value;
  };

  return {
    clientId: target.client.id,
    redirectUri: target.redirectUri,
    scope: formatScope(scopes),
    state: target.state,
    nonce: short('nonce'),
    responseMode: target.responseMode,
    codeChallenge: challenge,
    codeChallengeMethod: method,
    prompt: promptValue,
    maxAge,
    loginHint: short('login_hint'),
    uiLocales: short('ui_locales'),
  };
}

export function promptsOf(prompt: string | null): Set<string> {
  return new Set((prompt ?? '').split(' ').filter((p) => p !== ''));
}

type Step = 'login' | 'consent' | 'fulfil';

type GrantRequest = Pick<
  AuthorizationGrant,
  'clientId' | 'scope' | 'prompt' | 'maxAge' | 'createdAt'
>;

/**
 * What the browser needs next for this request: to sign in (no session; `prompt=login` and no
 * sign-in since the request was made; `max_age` exceeded), to consent (`prompt=consent`, or the
 * remembered consent does not cover the scopes), or nothing (answer with a code now).
 */
export async function nextStep(
  repos: Repositories,
  grant: GrantRequest,
  current: CurrentBrowserSession | null,
  now: Date,
): Promise<Step> {
  if (current === null || (await needsSignIn(repos, grant, current, now))) return 'login';
  if (promptsOf(grant.prompt).has('consent')) return 'consent';
  const consent = await repos.consents.find(current.user.id, grant.clientId);
  return consentCovers(consent, parseScope(grant.scope)) ? 'fulfil' : 'consent';
}

/**
 * True when the session's last sign-in is too old for the request: none at all, none since the
 * request was made with `prompt=login`, or older than `max_age` seconds.
 */
export async function needsSignIn(
  repos: Repositories,
  grant: Pick<AuthorizationGrant, 'prompt' | 'maxAge' | 'createdAt'>,
  current: CurrentBrowserSession,
  now: Date,
): Promise<boolean> {
  const last = await repos.browserSessions.lastAuthentication(current.session);
  if (last === null) return true;
  const signedInAt = last.createdAt.getTime();
  if (promptsOf(grant.prompt).has('login') && signedInAt < grant.createdAt.getTime()) return true;
  return grant.maxAge !== null && now.getTime() - signedInAt > grant.maxAge * 1000;
}

/**
 * The grant policy for the signed-in user (admin rights, the soft session limit): a violation is
 * the refusal page, and nothing is granted. With `continuePath`, the soft limit sends the browser
 * to the session-limit page instead, coming back to `continuePath` once enough sessions ended.
 */
export async function checkUserGrantPolicy(
  repos: Repositories,
  deps: Pick<HumanDeps, 'config' | 'urls'>,
  input: Parameters<typeof userGrantViolations>[2],
  continuePath?: string,
): Promise<void> {
  const violation = (await userGrantViolations(repos, deps.config, input))[0];
  if (violation === undefined) return;
  if (violation.code === 'too-many-sessions' && continuePath !== undefined) {
    throw sessionLimitRedirect(deps, continuePath);
  }
  const refusal = grantViolationMessage(violation);
  throw pageError(403, refusal.title, refusal.message);
}

/**
 * Issues the code: fulfils the grant in the browser session and returns the code. Over the soft
 * session limit the browser goes to the session-limit page and back to `continuePath` (default:
 * this grant's continuation; null: the refusal page, where no page may be shown).
 */
export async function fulfil(
  repos: Repositories,
  deps: Pick<HumanDeps, 'clock' | 'rng' | 'config' | 'urls'>,
  grant: AuthorizationGrant,
  current: CurrentBrowserSession,
  continuePath: string | null = `${deps.urls.basePath}authorize/continue/${grant.id}`,
): Promise<string> {
  await checkUserGrantPolicy(
    repos,
    deps,
    {
      grant: 'authorization_code',
      scopes: parseScope(grant.scope),
      clientId: grant.clientId,
      user: current.user,
    },
    continuePath ?? undefined,
  );
  const code = randomString(deps.rng, CODE_ALPHABET, CODE_LENGTH);
  await repos.authorizationGrants.fulfill(deps.clock, grant, current.session.id, tokenHash(code));
  return code;
}

/** The pending grant named by the `grantId` route parameter and its client; else an error page. */
export async function loadPendingGrant(
  repos: Repositories,
  request: FastifyRequest,
): Promise<{ grant: AuthorizationGrant; client: OAuth2Client }> {
  const id = (request.params as { grantId?: unknown }).grantId;
  const notFound = pageError(404, 'authorize.not_found_title', pageMessage('authorize.not_found'));
  if (typeof id !== 'string' || !/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) throw notFound;
  const grant = await repos.authorizationGrants.lookup(asAuthorizationGrantId(id));
  if (grant === null) throw notFound;
  if (grant.fulfilledAt !== null || grant.cancelledAt !== null) {
    throw pageError(400, 'authorize.completed_title', pageMessage('authorize.completed'));
  }
  const client = await repos.oauth2Clients.lookup(grant.clientId);
  if (client === null) throw notFound;
  return { grant, client };
}

export function targetOf(grant: AuthorizationGrant, client: OAuth2Client): ResponseTarget {
  return {
    client,
    redirectUri: grant.redirectUri,
    responseMode: grant.responseMode,
    state: grant.state,
  };
}

export function consentPath(deps: Pick<HumanDeps, 'urls'>, grant: AuthorizationGrant): string {
  return `${deps.urls.basePath}consent/${grant.id}`;
}

/** The login (or registration) page, coming back to this grant afterwards. */
export function loginPath(
  deps: Pick<HumanDeps, 'urls'>,
  grant: AuthorizationGrant,
  page: 'login' | 'register',
): string {
  const query = new URLSearchParams({
    next: `${deps.urls.basePath}authorize/continue/${grant.id}`,
  });
  if (page === 'login' && grant.loginHint !== null) query.set('login_hint', grant.loginHint);
  // The client's language preference follows the user to the sign-in pages.
  if (grant.uiLocales !== null) query.set('ui_locales', grant.uiLocales);
  return `${deps.urls.basePath}${page}?${query.toString()}`;
}

/**
 * The authorization response (RFC 6749 §4.1.2 / §4.1.2.1) in the grant's response mode: a 303 to
 * the redirect URI with the parameters in the query or the fragment, or (form_post) a page whose
 * form POSTs them to the client. That page needs no script: the user presses its button.
 */
export function sendAuthorizationResponse(
  reply: FastifyReply,
  deps: Pick<HumanDeps, 'templates' | 'urls'>,
  target: ResponseTarget,
  values: Record<string, string>,
): FastifyReply {
  const parameters: [string, string][] = Object.entries(values);
  if (target.state !== null) parameters.push(['state', target.state]);
  if (target.responseMode === 'form_post') {
    return sendPage(reply, deps, 'pages/form-post.html', {
      redirect_uri: target.redirectUri,
      client_name: target.client.clientName ?? hostOf(target.redirectUri),
      parameters: parameters.map(([name, value]) => ({ name, value })),
    });
  }
  const url = new URL(target.redirectUri);
  if (target.responseMode === 'fragment') {
    url.hash = new URLSearchParams(parameters).toString();
  } else {
    for (const [name, value] of parameters) url.searchParams.append(name, value);
  }
  return reply.header('cache-control', 'no-store').redirect(url.toString(), 303);
}

export function hostOf(uri: string): string {
  try {
    return new URL(uri).host || uri;
  } catch {
    return uri;
  }
}
