// What the upstream sign-in handlers share (MAS: handlers/upstream_oauth2/): their dependencies,
// loading a provider that may be used, the provider's name on pages, the callback URL, turning an
// UpstreamClientError into the error page, and the browser's pending sign-in for a link.

import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.ts';
import {
  asUpstreamOAuthProviderId,
  type UpstreamOAuthLink,
  type UpstreamOAuthProvider,
  type UpstreamOAuthSession,
} from '../../../model/upstream-oauth.ts';
import { asUpstreamOAuthSessionId } from '../../../model/upstream-oauth.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { BackchannelLogoutVerifier } from '../../../upstream/backchannel-logout-token.ts';
import type { UpstreamClientError, UpstreamClients } from '../../../upstream/upstream-client.ts';
import { HumanPageError, type HumanDeps } from '../human/page.ts';
import { providerDisplayName } from './provider-buttons.ts';
import { rememberedUpstreamSessions } from './upstream-session-cookie.ts';

export type UpstreamDeps = HumanDeps &
  Pick<AppContext, 'keystore' | 'introspectionCache'> & {
    readonly upstreamClients: UpstreamClients;
    readonly logoutVerifier: BackchannelLogoutVerifier;
  };

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const providerName = providerDisplayName;

/** `<public_base>/upstream/callback/<id>`: registered at the provider as the redirect URI. */
export function callbackUrl(deps: Pick<HumanDeps, 'urls'>, provider: UpstreamOAuthProvider) {
  return deps.urls.absolute(`upstream/callback/${provider.id}`);
}

/** The provider named by the `:id` route parameter, when it exists and is enabled; else a page. */
export async function loadEnabledProvider(
  request: FastifyRequest,
  deps: Pick<HumanDeps, 'urls'>,
  repos: Pick<Repositories, 'upstreamOAuthProviders'>,
): Promise<UpstreamOAuthProvider> {
  const id = (request.params as { id?: string }).id ?? '';
  const provider = ULID.test(id)
    ? await repos.upstreamOAuthProviders.lookup(asUpstreamOAuthProviderId(id))
    : null;
  if (provider === null) {
    throw new HumanPageError(
      404,
      'Unknown sign-in provider',
      'This sign-in provider does not exist.',
      {
        back: `${deps.urls.basePath}login`,
      },
    );
  }
  if (provider.disabledAt !== null) {
    throw new HumanPageError(
      403,
      'Sign-in provider disabled',
      `Signing in with ${providerName(provider)} is not available any more.`,
      { back: `${deps.urls.basePath}login` },
    );
  }
  return provider;
}

/** The error page for a failure talking to the provider (its detail goes to the log only). */
export function upstreamFailurePage(
  deps: Pick<HumanDeps, 'urls'>,
  error: UpstreamClientError,
): HumanPageError {
  const status = {
    configuration: 500,
    discovery: 502,
    unreachable: 502,
    token_endpoint: 502,
    userinfo: 502,
    provider_error: error.providerError === 'access_denied' ? 403 : 400,
    invalid_response: 400,
  }[error.kind];
  let message = error.userMessage;
  if (error.kind === 'provider_error' && error.providerError !== null) {
    message = `${message.replace(/\.$/, '')} (${error.providerError}).`;
  }
  return new HumanPageError(status, 'Sign-in failed', message, {
    back: `${deps.urls.basePath}login`,
  });
}

/** The page for a sign-in attempt that cannot go on (unknown, used, another browser's). */
export function staleSignInPage(deps: Pick<HumanDeps, 'urls'>, message: string): HumanPageError {
  return new HumanPageError(400, 'Sign-in cannot continue', `${message} Start again.`, {
    back: `${deps.urls.basePath}login`,
  });
}

export interface PendingLinkSignIn {
  readonly link: UpstreamOAuthLink;
  readonly session: UpstreamOAuthSession;
  readonly provider: UpstreamOAuthProvider;
}

/**
 * The link named by `:linkId` and the completed, unused authorization session this browser holds
 * for it (see upstream-session-cookie.ts); else the page saying the sign-in cannot continue.
 */
export async function loadPendingLinkSignIn(
  request: FastifyRequest,
  deps: Pick<HumanDeps, 'urls' | 'encrypter'>,
  repos: Pick<
    Repositories,
    'upstreamOAuthLinks' | 'upstreamOAuthSessions' | 'upstreamOAuthProviders'
  >,
): Promise<PendingLinkSignIn> {
  const linkId = (request.params as { linkId?: string }).linkId ?? '';
  const stale = staleSignInPage(
    deps,
    'This sign-in has expired or was started in another browser.',
  );
  if (!ULID.test(linkId)) throw stale;
  const remembered = rememberedUpstreamSessions(request, deps).filter(
    (entry) => entry.linkId === linkId,
  );
  let session: UpstreamOAuthSession | null = null;
  // The newest attempt this browser made that reached this link and was not used yet.
  for (const entry of remembered.reverse()) {
    const candidate = await repos.upstreamOAuthSessions.lookup(
      asUpstreamOAuthSessionId(entry.sessionId),
    );
    if (
      candidate !== null &&
      candidate.linkId === linkId &&
      candidate.completedAt !== null &&
      candidate.consumedAt === null &&
      candidate.unlinkedAt === null
    ) {
      session = candidate;
      break;
    }
  }
  if (session === null) throw stale;
  const link = await repos.upstreamOAuthLinks.lookup(session.linkId!);
  if (link === null) throw stale;
  const provider = await repos.upstreamOAuthProviders.lookup(link.providerId);
  if (provider === null || provider.disabledAt !== null) {
    throw new HumanPageError(
      403,
      'Sign-in provider disabled',
      'This sign-in provider is not available any more.',
      { back: `${deps.urls.basePath}login` },
    );
  }
  return { link, session, provider };
}
