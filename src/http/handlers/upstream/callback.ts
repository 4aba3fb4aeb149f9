// GET and POST /upstream/callback/{id}: where the provider sends the browser back (MAS:
// upstream_oauth2/callback.rs); POST is `response_mode=form_post`. Reads top to bottom:
// parse (query or form body) → load the provider and the authorization session named by `state`
// (it must be this provider's, started in this browser, and not used yet) → exchange the code and
// validate the answer (network, outside any transaction; an `error` from the provider ends here)
// → map the subject and check `claims_requirements` → one transaction: find or add the link,
// complete the session (a second completion of the same session loses: replayed state) →
// remember the link in this browser → 303 to /upstream/link/{link_id}.
//
// form_post arrives as a cross-site POST, which does not carry our SameSite=Lax cookies. When
// it comes without them, the page re-posts the same parameters from our own origin (a same-site
// POST, which carries them), once.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { upstreamSessionState, type UpstreamOAuthProvider } from '../../../model/upstream-oauth.ts';
import { checkClaimsRequirements } from '../../../upstream/claim-requirements.ts';
import {
  ClaimMappingError,
  upstreamAccountName,
  upstreamSubject,
} from '../../../upstream/claim-mapping.ts';
import { UpstreamClientError, type CallbackResult } from '../../../upstream/upstream-client.ts';
import { HumanPageError, sendPage } from '../human/page.ts';
import {
  callbackUrl,
  loadEnabledProvider,
  providerName,
  staleSignInPage,
  upstreamFailurePage,
  type UpstreamDeps,
} from './upstream-flow.ts';
import { rememberUpstreamSession, rememberedUpstreamSessions } from './upstream-session-cookie.ts';

/** Marks the re-posted form (see the header); never sent by a provider. */
const REPOSTED = 'gatehouse_reposted';

function callbackParameters(source: unknown): URLSearchParams {
  const parameters = new URLSearchParams();
  if (typeof source !== 'object' || source === null) return parameters;
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    if (name === REPOSTED) continue;
    if (typeof value === 'string') parameters.append(name, value);
    else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string') parameters.append(name, item);
    }
  }
  return parameters;
}

function repost(
  reply: FastifyReply,
  deps: UpstreamDeps,
  provider: UpstreamOAuthProvider,
  parameters: URLSearchParams,
): FastifyReply {
  return sendPage(reply, deps, 'pages/form-post.html', {
    redirect_uri: callbackUrl(deps, provider),
    client_name: deps.config.branding.service_name ?? providerName(provider),
    parameters: [
      ...[...parameters].map(([name, value]) => ({ name, value })),
      { name: REPOSTED, value: '1' },
    ],
  });
}

export function registerUpstreamCallback(app: FastifyInstance, deps: UpstreamDeps): void {
  const handle = async (request: FastifyRequest, reply: FastifyReply, source: unknown) => {
    // parse
    const parameters = callbackParameters(source);
    const state = parameters.get('state');
    const remembered = rememberedUpstreamSessions(request, deps);

    // load
    const { provider, session } = await deps.storage.transaction(async (repos) => ({
      provider: await loadEnabledProvider(request, deps, repos),
      session:
        state === null || state === ''
          ? null
          : await repos.upstreamOAuthSessions.findByState(state),
    }));
    if (
      request.method === 'POST' &&
      remembered.length === 0 &&
      (source as Record<string, unknown> | undefined)?.[REPOSTED] === undefined
    ) {
      return repost(reply, deps, provider, parameters);
    }

    // check
    if (state === null || state === '') {
      const error = parameters.get('error');
      if (error !== null) {
        throw new HumanPageError(400, 'Sign-in failed', `The sign-in provider refused: ${error}.`, {
          back: `${deps.urls.basePath}login`,
        });
      }
      throw staleSignInPage(deps, 'The sign-in provider sent the browser back without its state.');
    }
    if (session === null || session.providerId !== provider.id) {
      throw staleSignInPage(deps, 'This sign-in attempt is unknown or has expired.');
    }
    if (!remembered.some((entry) => entry.sessionId === session.id)) {
      throw staleSignInPage(deps, 'This sign-in was started in another browser.');
    }
    if (upstreamSessionState(session) !== 'pending') {
      throw staleSignInPage(deps, 'This sign-in has already been used.');
    }

    // the provider's answer: code exchange and validation, outside any transaction
    let result: CallbackResult;
    try {
      result = await deps.upstreamClients.completeAuthorization(provider, {
        redirectUri: callbackUrl(deps, provider),
        parameters,
        state: session.state,
        nonce: session.nonce,
        codeVerifier: session.codeVerifier,
      });
    } catch (error) {
      if (!(error instanceof UpstreamClientError)) throw error;
      request.log.warn({ provider: provider.id, err: error }, 'upstream callback refused');
      throw upstreamFailurePage(deps, error);
    }

    // check the claims: who it is, and whether they may sign in here
    let subject: string;
    try {
      subject = upstreamSubject(provider.claimsImports, result.claims);
    } catch (error) {
      if (!(error instanceof ClaimMappingError)) throw error;
      request.log.info({ provider: provider.id, reason: error.detail }, 'upstream subject missing');
      throw new HumanPageError(400, 'Sign-in failed', error.message, {
        back: `${deps.urls.basePath}login`,
      });
    }
    const requirements = checkClaimsRequirements(provider.claimsRequirements, result.claims);
    if (!requirements.ok) {
      request.log.info(
        { provider: provider.id, claim: requirements.failed.claim },
        'upstream claims requirement not met',
      );
      throw new HumanPageError(403, 'Not allowed to sign in', requirements.message, {
        back: `${deps.urls.basePath}login`,
      });
    }
    const accountName = upstreamAccountName(provider.claimsImports, result.claims);
    const sid = result.idTokenClaims?.sid;

    // mutate and save
    const link = await deps.storage.transaction(async (repos) => {
      let link = await repos.upstreamOAuthLinks.findBySubject(provider.id, subject);
      if (link === null) {
        link = await repos.upstreamOAuthLinks.add(deps.rng, deps.clock, {
          providerId: provider.id,
          subject,
          humanAccountName: accountName,
        });
        // Another tab made it in the meantime.
        link ??= await repos.upstreamOAuthLinks.findBySubject(provider.id, subject);
        if (link === null) throw new Error('upstream link vanished');
      } else if (accountName !== null && link.humanAccountName !== accountName) {
        link = await repos.upstreamOAuthLinks.setHumanAccountName(link, accountName);
      }
      const completed = await repos.upstreamOAuthSessions.complete(deps.clock, session, {
        linkId: link.id,
        idToken: result.idToken,
        idTokenClaims: result.idTokenClaims,
        userinfo: result.userinfo,
        extraCallbackParameters: result.extraCallbackParameters,
        idTokenSid: typeof sid === 'string' ? sid : null,
      });
      if (completed === null) throw staleSignInPage(deps, 'This sign-in has already been used.');
      return link;
    });

    // respond
    rememberUpstreamSession(request, reply, deps, session.id, link.id);
    return reply
      .header('cache-control', 'no-store')
      .redirect(`${deps.urls.basePath}upstream/link/${link.id}`, 303);
  };

  app.get('/upstream/callback/:id', async (request, reply) =>
    handle(request, reply, request.query),
  );
  app.post('/upstream/callback/:id', async (request, reply) =>
    handle(request, reply, request.body),
  );
}
