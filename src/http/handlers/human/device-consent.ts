// GET and POST /device/{id}: the consent page of a device authorization (RFC 8628 §3.3, MAS:
// oauth2/device/consent.rs). It names the client, the scopes in plain words and the user code (so
// the person can check it is the code their own device shows, RFC 8628 §5.4), and offers Allow
// and Deny. Allow fulfils the grant with this browser session and remembers the consent (as
// /authorize does); Deny rejects it. Either way the page that follows says to go back to the
// device, which learns the outcome on its next poll.
//
// POST reads top to bottom: parse → CSRF → one transaction: the browser session, the grant (still
// pending), its client → fulfil or reject (and remember the consent) → the "done" page.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceCodeGrant } from '../../../model/device-code-grant.ts';
import { deviceGrantStage } from '../../../model/device-code-grant.ts';
import { asDeviceCodeGrantId } from '../../../model/ids.ts';
import type { OAuth2Client } from '../../../model/oauth2-client.ts';
import { StateConflictError } from '../../../storage/state-conflict-error.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { currentBrowserSession, type CurrentBrowserSession } from '../../browser-session.ts';
import { csrfToken, CSRF_FIELD } from '../../csrf.ts';
import { checkUserGrantPolicy } from '../oauth2/authorize.ts';
import { describeScopes } from '../oauth2/consent.ts';
import { loginRedirect, requireCsrf } from './link.ts';
import { pageError, param, sendPage, type HumanDeps, type HumanPageError } from './page.ts';
import { pageMessage } from './page-message.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Links shown on the page: only http(s) URIs, never `javascript:` and the like. */
function safeLink(uri: string | null, httpsOnly = false): string | null {
  if (uri === null) return null;
  try {
    const url = new URL(uri);
    if (url.protocol === 'https:' || (!httpsOnly && url.protocol === 'http:'))
      return url.toString();
    return null;
  } catch {
    return null;
  }
}

/** The client's name for people: its registered name, else its id. */
export function clientDisplayName(client: OAuth2Client): string {
  return client.clientName ?? client.id;
}

function clientContext(client: OAuth2Client) {
  return {
    name: clientDisplayName(client),
    client_uri: safeLink(client.clientUri),
    // The page's CSP allows images from https only.
    logo_uri: safeLink(client.logoUri, true),
    policy_uri: safeLink(client.policyUri),
    tos_uri: safeLink(client.tosUri),
  };
}

const gone = (): HumanPageError =>
  pageError(400, 'device.errors.gone_title', pageMessage('device.errors.gone'));

type Loaded =
  | { readonly kind: 'sign-in' }
  | {
      readonly kind: 'ok';
      readonly current: CurrentBrowserSession;
      readonly grant: DeviceCodeGrant;
      readonly client: OAuth2Client;
    };

/** The session, the pending grant and its client; throws the error page when the grant is not usable. */
async function load(
  request: FastifyRequest,
  deps: HumanDeps,
  repos: Repositories,
  rawId: string,
): Promise<Loaded> {
  const current = await currentBrowserSession(request, { ...deps, repos });
  if (current === null) return { kind: 'sign-in' };
  const notFound = pageError(
    404,
    'device.errors.not_found_title',
    pageMessage('device.errors.not_found'),
    { back: `${deps.urls.basePath}link` },
  );
  if (!ULID.test(rawId)) throw notFound;
  const grant = await repos.deviceCodeGrants.lookup(asDeviceCodeGrantId(rawId));
  if (grant === null) throw notFound;
  if (deviceGrantStage(grant, deps.clock.now()) !== 'pending') throw gone();
  const client = await repos.oauth2Clients.lookup(grant.clientId);
  if (client === null) throw notFound;
  return { kind: 'ok', current, grant, client };
}

function sendConsent(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: HumanDeps,
  loaded: Extract<Loaded, { kind: 'ok' }>,
): FastifyReply {
  return sendPage(reply, deps, 'pages/device-consent.html', {
    csrf_token: csrfToken(request, reply, deps),
    grant_id: loaded.grant.id,
    user_code: loaded.grant.userCode,
    username: loaded.current.user.username,
    client: clientContext(loaded.client),
    scopes: describeScopes(loaded.grant.scope),
  });
}

export function registerDeviceConsent(app: FastifyInstance, deps: HumanDeps): void {
  app.get<{ Params: { id: string } }>('/device/:id', async (request, reply) => {
    const id = request.params.id;
    const loaded = await deps.storage.transaction((repos) => load(request, deps, repos, id));
    if (loaded.kind === 'sign-in') {
      return loginRedirect(reply, deps, `${deps.urls.basePath}device/${encodeURIComponent(id)}`);
    }
    return sendConsent(request, reply, deps, loaded);
  });

  app.post<{ Params: { id: string } }>('/device/:id', async (request, reply) => {
    // parse
    const id = request.params.id;
    const here = `${deps.urls.basePath}device/${encodeURIComponent(id)}`;
    const action = param(request.body, 'action');
    requireCsrf(request, deps, here, param(request.body, CSRF_FIELD));
    if (action !== 'allow' && action !== 'deny') {
      throw pageError(400, 'device.errors.choose_title', pageMessage('device.errors.choose'), {
        back: here,
      });
    }

    const outcome = await deps.storage.transaction(async (repos) => {
      // authenticate → load → check
      const loaded = await load(request, deps, repos, id);
      if (loaded.kind === 'sign-in') return null;
      const { current, grant, client } = loaded;
      // mutate → save
      try {
        if (action === 'allow') {
          const scopes = grant.scope === '' ? [] : grant.scope.split(' ');
          await checkUserGrantPolicy(
            repos,
            deps,
            { grant: 'device_code', scopes, clientId: client.id, user: current.user },
            here,
          );
          await repos.deviceCodeGrants.fulfill(deps.clock, grant, current.session.id);
          await repos.consents.grant(deps.rng, deps.clock, current.user.id, client.id, scopes);
        } else {
          await repos.deviceCodeGrants.reject(deps.clock, grant, current.session.id);
        }
      } catch (error) {
        // Expired or answered (in another tab) since the page was loaded.
        if (error instanceof StateConflictError) throw gone();
        throw error;
      }
      return { client };
    });

    // respond
    if (outcome === null) return loginRedirect(reply, deps, here);
    return sendPage(reply, deps, 'pages/device-done.html', {
      allowed: action === 'allow',
      client_name: clientDisplayName(outcome.client),
    });
  });
}
