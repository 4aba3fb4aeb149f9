// What the /register pages share (MAS: views/register/): the policy built from `policy.data`, the
// requester of a request, the encrypted cookie listing the registrations this browser started (a
// step URL alone is not enough to continue someone's registration), loading a registration for a
// step, the paths of the steps, and which step a registration needs next.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RootConfig } from '../../../config/root.ts';
import type { UserRegistration } from '../../../model/user-registration.ts';
import {
  asUserRegistrationId,
  isRegistrationCompleted,
  isRegistrationExpired,
} from '../../../model/user-registration.ts';
import { AccountPolicy, type Requester } from '../../../policy/account-policy.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { readEncryptedCookie, setEncryptedCookie, type CookieDeps } from '../../cookies.ts';
import { CSRF_FIELD, verifyCsrf } from '../../csrf.ts';
import {
  busyPageError,
  csrfPageError,
  pageError,
  type HumanDeps,
  type HumanPageError,
} from './page.ts';
import { pageMessage } from './page-message.ts';

const REGISTRATIONS_COOKIE = 'user-registration-sessions';
/** Registrations remembered per browser; older ones are forgotten first. */
const MAX_REMEMBERED = 5;

// Keyed by the data: policy data set at run time (src/services/policy-data-service.ts) makes each
// version a new object, so the policy is rebuilt once per version.
const policies = new WeakMap<object, AccountPolicy>();

/** The account policy of this configuration (built once; a bad `policy.data` throws PolicyDataError). */
export function accountPolicy(config: RootConfig): AccountPolicy {
  const data = config.policy.data;
  let policy = policies.get(data);
  if (policy === undefined) {
    policy = new AccountPolicy(data, config.matrix?.homeserver ?? 'localhost');
    policies.set(data, policy);
  }
  return policy;
}

export function requesterOf(request: FastifyRequest): Requester {
  const userAgent = request.headers['user-agent'];
  return {
    ipAddress: request.ip === '' ? null : request.ip,
    userAgent: typeof userAgent === 'string' && userAgent !== '' ? userAgent : null,
  };
}

/** Password registration is offered (passwords on and `password_registration_enabled`). */
export function passwordRegistrationEnabled(
  deps: Pick<HumanDeps, 'config' | 'passwords'>,
): boolean {
  return deps.passwords.enabled && deps.config.account.password_registration_enabled;
}

export function registrationTokenRequired(config: RootConfig): boolean {
  return (
    config.account.password_registration_token_required ||
    config.account.registration_token_required
  );
}

export function stepPath(
  deps: Pick<HumanDeps, 'urls'>,
  registration: Pick<UserRegistration, 'id'>,
  step: 'verify-email' | 'token' | 'display-name' | 'finish',
): string {
  return `${deps.urls.basePath}register/steps/${registration.id}/${step}`;
}

/** The step the registration needs next, or 'create' when everything is in. */
export async function nextRegistrationStep(
  repos: Pick<Repositories, 'emailAuthentications'>,
  config: RootConfig,
  registration: UserRegistration,
): Promise<'verify-email' | 'token' | 'display-name' | 'create'> {
  if (registration.emailAuthenticationId !== null) {
    const authentication = await repos.emailAuthentications.lookup(
      registration.emailAuthenticationId,
    );
    if (authentication === null || authentication.completedAt === null) return 'verify-email';
  }
  if (registrationTokenRequired(config) && registration.registrationTokenId === null)
    return 'token';
  if (registration.displayName === null) return 'display-name';
  return 'create';
}

function rememberedIds(request: FastifyRequest, deps: Pick<CookieDeps, 'encrypter'>): string[] {
  const raw = readEncryptedCookie(request, deps, REGISTRATIONS_COOKIE);
  if (raw === null) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

/** Remembers (or, with `forget`, forgets) that this browser owns the registration. */
export function rememberRegistration(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: CookieDeps,
  registration: Pick<UserRegistration, 'id'>,
  forget = false,
): void {
  const ids = rememberedIds(request, deps).filter((id) => id !== registration.id);
  if (!forget) ids.push(registration.id);
  setEncryptedCookie(reply, deps, REGISTRATIONS_COOKIE, JSON.stringify(ids.slice(-MAX_REMEMBERED)));
}

const restart = (deps: Pick<HumanDeps, 'urls'>) => `${deps.urls.basePath}register`;

/**
 * The registration a step URL names, when this browser started it and it can still be completed;
 * else the error page (unknown, someone else's, finished or older than an hour).
 */
export async function loadRegistration(
  request: FastifyRequest,
  deps: HumanDeps,
  repos: Pick<Repositories, 'userRegistrations'>,
): Promise<UserRegistration> {
  const id = (request.params as { id?: string }).id ?? '';
  const notFound = pageError(
    404,
    'register.not_found.title',
    pageMessage('register.not_found.message'),
    {
      back: restart(deps),
    },
  );
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id) || !rememberedIds(request, deps).includes(id)) {
    throw notFound;
  }
  const registration = await repos.userRegistrations.lookup(asUserRegistrationId(id));
  if (registration === null) throw notFound;
  if (isRegistrationCompleted(registration)) {
    throw pageError(
      410,
      'register.already_finished.title',
      pageMessage('register.already_finished.message'),
      { back: `${deps.urls.basePath}login` },
    );
  }
  if (isRegistrationExpired(registration, deps.clock.now())) {
    throw pageError(410, 'register.expired.title', pageMessage('register.expired.message'), {
      back: restart(deps),
    });
  }
  return registration;
}

/** Checks the form's CSRF token, or answers with the error page pointing back to `back`. */
export function checkCsrf(request: FastifyRequest, deps: HumanDeps, back: string): void {
  try {
    verifyCsrf(request, deps, (request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD]);
  } catch (error) {
    throw csrfPageError(error, back);
  }
}

/** Wraps the password manager's "busy" refusal into the 503 page. */
export function tooBusy(back: string): HumanPageError {
  return busyPageError(back);
}
