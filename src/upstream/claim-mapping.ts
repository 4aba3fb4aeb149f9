// From an upstream provider's claims to local account attributes (MAS's `claims_imports`): the
// subject that identifies the upstream account, the account name shown to the user, and the
// localpart, display name and email address with their import actions:
//   ignore   not imported (the user fills it in)
//   suggest  imported when present, the user may opt out
//   force    imported when present, nothing when missing
//   require  imported; a missing value stops the login (ClaimMappingError)
// plus what `on_conflict` does when the localpart belongs to an existing account, whether an
// imported email address counts as verified, whether the confirmation page may be skipped, and
// the Gatehouse-only `login_only`. Pure functions: the HTTP flow loads and saves.
//
// A template's output is trimmed; empty output (an absent claim renders empty) means "missing".
// Templates render as in MAS with `user` (the userinfo response's claims overlaid with the ID
// token's: `templateClaims`) and, when the caller passes `ClaimSources`, `id_token_claims`,
// `userinfo_claims` and `extra_callback_parameters`.

import type {
  EmailVerificationAction,
  ImportAction,
  LocalpartConflictAction,
  UpstreamClaimsImports,
  UpstreamOAuthLink,
  UpstreamOAuthLinkId,
  UpstreamOAuthProvider,
} from '../model/upstream-oauth.ts';
import {
  ClaimTemplateRenderError,
  compileClaimTemplate,
  type ClaimTemplate,
} from './claim-template.ts';
import type { Claims } from './claim-requirements.ts';

/** The templates used when the configuration sets none (MAS's defaults). */
export const DEFAULT_TEMPLATES = {
  subject: '{{ user.sub }}',
  localpart: '{{ user.preferred_username }}',
  displayname: '{{ user.name }}',
  email: '{{ user.email }}',
} as const;

export type MappedAttribute = 'subject' | 'localpart' | 'displayname' | 'email';

export type ClaimMappingErrorKind =
  /** A `require`d attribute (or the subject) rendered empty. */
  | 'missing_claim'
  /** The provider is `login_only` and the upstream account is not linked to a user. */
  | 'registration_disabled'
  /** The localpart belongs to an existing account and `on_conflict` does not allow linking it. */
  | 'localpart_taken';

/** Why claims cannot become an account; `message` is one line a user can read. */
export class ClaimMappingError extends Error {
  override readonly name = 'ClaimMappingError';
  readonly kind: ClaimMappingErrorKind;
  readonly attribute: MappedAttribute | null;
  /** For the logs: the template error behind a missing value, if any. */
  readonly detail: string | null;

  constructor(
    kind: ClaimMappingErrorKind,
    message: string,
    attribute: MappedAttribute | null = null,
    detail: string | null = null,
  ) {
    super(message);
    this.kind = kind;
    this.attribute = attribute;
    this.detail = detail;
  }
}

const compiled = new Map<string, ClaimTemplate>();

/**
 * The compiled template for `source`, remembered: sources come from the configuration, so the
 * map holds a few dozen at most. Throws ClaimTemplateError (the configuration check refuses bad
 * templates before they get here).
 */
export function claimTemplate(source: string): ClaimTemplate {
  let template = compiled.get(source);
  if (template === undefined) {
    template = compileClaimTemplate(source);
    compiled.set(source, template);
  }
  return template;
}

/**
 * The claims templates see as `user`: the userinfo response's, overlaid with the ID token's (the
 * signed claims win), as MAS merges them.
 */
export function templateClaims(
  idTokenClaims: Claims | null,
  userinfo: Claims | null,
): Record<string, unknown> {
  return { ...(userinfo ?? {}), ...(idTokenClaims ?? {}) };
}

/** Where the claims came from, for templates reading one source (MAS's extra variables). */
export interface ClaimSources {
  readonly idTokenClaims?: Claims | null;
  readonly userinfo?: Claims | null;
  readonly extraCallbackParameters?: Claims | null;
}

/** The context of a claim template: `user` and the sources that are known. */
export function claimTemplateContext(
  claims: Claims,
  sources: ClaimSources = {},
): Record<string, unknown> {
  const context: Record<string, unknown> = { user: claims };
  if (sources.idTokenClaims != null) context['id_token_claims'] = sources.idTokenClaims;
  if (sources.userinfo != null) context['userinfo_claims'] = sources.userinfo;
  if (sources.extraCallbackParameters != null)
    context['extra_callback_parameters'] = sources.extraCallbackParameters;
  return context;
}

export type RenderOutcome =
  | { readonly value: string; readonly problem: null }
  | { readonly value: null; readonly problem: string | null };

/** Renders `source` over `{ user: claims }`: the trimmed text, or null with why. */
export function renderClaimTemplate(
  source: string,
  claims: Claims,
  sources: ClaimSources = {},
): RenderOutcome {
  let text: string;
  try {
    text = claimTemplate(source).render(claimTemplateContext(claims, sources));
  } catch (error) {
    if (error instanceof ClaimTemplateRenderError) return { value: null, problem: error.message };
    throw error;
  }
  const value = text.trim();
  return value === '' ? { value: null, problem: null } : { value, problem: null };
}

/** The upstream subject; ClaimMappingError when it renders empty. */
export function upstreamSubject(
  imports: UpstreamClaimsImports,
  claims: Claims,
  sources: ClaimSources = {},
): string {
  const outcome = renderClaimTemplate(
    imports.subject.template ?? DEFAULT_TEMPLATES.subject,
    claims,
    sources,
  );
  if (outcome.value === null) {
    throw new ClaimMappingError(
      'missing_claim',
      'The provider did not say who you are (no subject).',
      'subject',
      outcome.problem,
    );
  }
  return outcome.value;
}

/** The name of the upstream account shown to the user; null when not configured or empty. */
export function upstreamAccountName(
  imports: UpstreamClaimsImports,
  claims: Claims,
  sources: ClaimSources = {},
): string | null {
  const source = imports.accountName.template;
  return source === null ? null : renderClaimTemplate(source, claims, sources).value;
}

export interface AttributeImport {
  readonly action: ImportAction;
  /** The imported value: null when ignored or missing. */
  readonly value: string | null;
  /** The user may opt out of the value (`suggest`). */
  readonly optional: boolean;
}

export interface EmailImport extends AttributeImport {
  /** Whether the imported address counts as verified (`set_email_verification`). */
  readonly verified: boolean;
}

export interface MappedClaims {
  readonly subject: string;
  readonly accountName: string | null;
  readonly localpart: AttributeImport;
  readonly displayname: AttributeImport;
  readonly email: EmailImport;
}

const ATTRIBUTE_LABELS: Readonly<Record<MappedAttribute, string>> = {
  subject: 'subject',
  localpart: 'username',
  displayname: 'display name',
  email: 'email address',
};

/** One attribute by its action; ClaimMappingError when a required one is missing. */
export function importAttribute(
  attribute: Exclude<MappedAttribute, 'subject'>,
  setting: { readonly action: ImportAction; readonly template: string | null },
  claims: Claims,
  sources: ClaimSources = {},
): AttributeImport {
  if (setting.action === 'ignore') return { action: 'ignore', value: null, optional: false };
  const outcome = renderClaimTemplate(
    setting.template ?? DEFAULT_TEMPLATES[attribute],
    claims,
    sources,
  );
  if (outcome.value === null && setting.action === 'require') {
    throw new ClaimMappingError(
      'missing_claim',
      `The provider did not send your ${ATTRIBUTE_LABELS[attribute]}, which is required here.`,
      attribute,
      outcome.problem,
    );
  }
  return { action: setting.action, value: outcome.value, optional: setting.action === 'suggest' };
}

/**
 * Whether an imported email address counts as verified: `import` trusts the provider's
 * `email_verified` claim (true, or the string "true" some providers send), `always` and `never`
 * decide regardless.
 */
export function emailVerified(setting: EmailVerificationAction, claims: Claims): boolean {
  switch (setting) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'import': {
      const claim = claims['email_verified'];
      return claim === true || claim === 'true';
    }
  }
}

/** Every attribute of `imports` from `claims`; ClaimMappingError on a missing required one. */
export function mapClaims(
  imports: UpstreamClaimsImports,
  claims: Claims,
  sources: ClaimSources = {},
): MappedClaims {
  const email = importAttribute('email', imports.email, claims, sources);
  return {
    subject: upstreamSubject(imports, claims, sources),
    accountName: upstreamAccountName(imports, claims, sources),
    localpart: importAttribute('localpart', imports.localpart, claims, sources),
    displayname: importAttribute('displayname', imports.displayname, claims, sources),
    email: {
      ...email,
      verified: email.value !== null && emailVerified(imports.email.setEmailVerification, claims),
    },
  };
}

/** What to do about an imported localpart. */
export type LocalpartDecision =
  /** Nobody has it: register a new account with it. */
  | { readonly outcome: 'register' }
  /** Link the upstream account to the existing user, first deleting `replace` (their links to this provider). */
  | { readonly outcome: 'link'; readonly replace: readonly UpstreamOAuthLinkId[] }
  /** Refuse (ClaimMappingError with kind `localpart_taken` explains it to the user). */
  | { readonly outcome: 'refuse'; readonly error: ClaimMappingError };

/**
 * MAS's `on_conflict`, when the imported localpart is `existing`'s (null: nobody's):
 *   fail     refuse;
 *   add      link to that account, next to any links it has to this provider;
 *   replace  link to that account, replacing its links to this provider;
 *   set      link to that account only when it has no link to this provider.
 * `existingLinks` are the existing user's links to this provider.
 */
export function decideLocalpart(
  onConflict: LocalpartConflictAction,
  existing: { readonly links: readonly UpstreamOAuthLink[] } | null,
): LocalpartDecision {
  if (existing === null) return { outcome: 'register' };
  const taken = (message: string) =>
    ({
      outcome: 'refuse',
      error: new ClaimMappingError('localpart_taken', message, 'localpart'),
    }) as const;
  switch (onConflict) {
    case 'fail':
      return taken('An account with this username already exists.');
    case 'add':
      return { outcome: 'link', replace: [] };
    case 'replace':
      return { outcome: 'link', replace: existing.links.map((link) => link.id) };
    case 'set':
      return existing.links.length === 0
        ? { outcome: 'link', replace: [] }
        : taken(
            'An account with this username already exists and is linked to another account at this provider.',
          );
  }
}

/**
 * Whether the confirmation page can be skipped (`skip_confirmation`): the configuration allows it
 * and the localpart was imported (configuration validation makes it `require`d).
 */
export function canSkipConfirmation(imports: UpstreamClaimsImports, mapped: MappedClaims): boolean {
  return imports.skipConfirmation && mapped.localpart.value !== null;
}

/** ClaimMappingError when `provider` may not create accounts (the Gatehouse-only `login_only`). */
export function assertMayRegister(provider: Pick<UpstreamOAuthProvider, 'loginOnly'>): void {
  if (provider.loginOnly) {
    throw new ClaimMappingError(
      'registration_disabled',
      'This provider can only be used to sign in to existing accounts, and yours is not linked to one here.',
    );
  }
}
