// Messages a human page handler passes to its template: a translation key of translations/en.json
// and the values it names, which the template shows in the reader's language with
// `_(message.key, message.vars)` (see templates/components/messages.html, which also shows the
// sentences of `more`). Handlers never pass English sentences to a page: a form error, a notice or
// an error page's title and message is a PageMessage.
//
// Every key a handler may use is listed once in PAGE_MESSAGE_KEYS below, so the compiler refuses a
// key that is not listed and a test checks that translations/en.json has each one.
// To add a message: add its English text to translations/en.json, its key to the list, and use
// `pageMessage('section.key', {name: value})`.

import type { CsrfErrorCode } from '../../csrf.ts';
import { Translations } from '../../../templates/i18n.ts';

export const PAGE_MESSAGE_KEYS = [
  // error
  'error.bad_request.title',
  'error.bad_request.message',
  'error.internal.title',
  'error.internal.message',
  'error.request_id',
  'error.busy.title',
  'error.busy.message',
  'error.csrf.title',
  'error.csrf.missing',
  'error.csrf.no_cookie',
  'error.csrf.expired',
  'error.csrf.mismatch',
  'error.csrf.other',
  // policy
  'policy.username_too_short',
  'policy.username_too_long',
  'policy.username_too_long_id',
  'policy.username_all_numeric',
  'policy.username_invalid_chars',
  'policy.username_banned',
  'policy.username_not_allowed',
  'policy.email_invalid',
  'policy.email_domain_not_allowed',
  'policy.email_domain_banned',
  'policy.email_not_allowed',
  'policy.email_banned',
  'policy.requester_banned',
  'policy.password_weak.generic',
  'policy.password_weak.other',
  'policy.password_weak.straightRow',
  'policy.password_weak.keyPattern',
  'policy.password_weak.simpleRepeat',
  'policy.password_weak.extendedRepeat',
  'policy.password_weak.sequences',
  'policy.password_weak.recentYears',
  'policy.password_weak.dates',
  'policy.password_weak.topTen',
  'policy.password_weak.topHundred',
  'policy.password_weak.common',
  'policy.password_weak.similarToCommon',
  'policy.password_weak.wordByItself',
  'policy.password_weak.namesByThemselves',
  'policy.password_weak.commonNames',
  'policy.password_weak.userInputs',
  'policy.password_weak.pwned',
  'policy.password_suggestion.other',
  'policy.password_suggestion.l33t',
  'policy.password_suggestion.reverseWords',
  'policy.password_suggestion.allUppercase',
  'policy.password_suggestion.capitalization',
  'policy.password_suggestion.dates',
  'policy.password_suggestion.recentYears',
  'policy.password_suggestion.associatedYears',
  'policy.password_suggestion.sequences',
  'policy.password_suggestion.repeated',
  'policy.password_suggestion.longerKeyboardPattern',
  'policy.password_suggestion.anotherWord',
  'policy.password_suggestion.useWords',
  'policy.password_suggestion.noNeed',
  'policy.password_suggestion.pwned',
  'policy.passwords_mismatch',
  // register
  'register.closed.title',
  'register.closed.message',
  'register.closed.password_message',
  'register.not_found.title',
  'register.not_found.message',
  'register.already_finished.title',
  'register.already_finished.message',
  'register.already_finished.just_now',
  'register.expired.title',
  'register.expired.message',
  'register.errors.email_required',
  'register.errors.username_taken',
  'register.errors.email_in_use',
  'register.errors.password_required',
  'register.errors.terms_required',
  'register.errors.captcha_not_solved',
  'register.errors.captcha_unavailable',
  'register.verify_email_errors.wrong_code',
  'register.verify_email_errors.exhausted',
  'register.verify_email_errors.code_required',
  'register.verify_email_errors.code_resent',
  'register.token_errors.unknown',
  'register.token_errors.revoked',
  'register.token_errors.expired',
  'register.token_errors.used_up',
  'register.display_name_errors.required',
  'register.display_name_errors.too_long',
  'register.finish.incomplete_title',
  'register.finish.no_password',
  'register.finish.start_again',
  'register.finish.username_taken_title',
  'register.finish.username_taken',
  'register.finish.username_just_taken',
  'register.finish.email_refused_title',
  'register.finish.email_taken_title',
  'register.finish.email_taken',
  'register.finish.token_invalid_title',
  'register.finish.token_invalid',
  // recover
  'recover.closed.title',
  'recover.closed.message',
  'recover.not_found.title',
  'recover.not_found.message',
  'recover.sent_again',
  'recover.link.invalid_title',
  'recover.link.invalid',
  'recover.link.used_title',
  'recover.link.used',
  'recover.link.used_just_now',
  'recover.link.expired_title',
  'recover.link.expired',
  'recover.link.locked_title',
  'recover.link.locked',
  'recover.password_required',
  // login
  'login.errors.invalid_credentials',
  'login.errors.missing_fields',
  'login.errors.cannot_sign_in',
  'login.errors.deactivated',
  'login.errors.locked',
  // consent
  'consent.choose',
  'consent.scope.openid',
  'consent.scope.profile',
  'consent.scope.email',
  'consent.scope.matrix_client',
  'consent.scope.synapse_admin',
  'consent.scope.mas_admin',
  'consent.scope.mas_graphql',
  'consent.scope.device',
  'consent.scope.other',
  // device
  'device.errors.gone_title',
  'device.errors.gone',
  'device.errors.not_found_title',
  'device.errors.not_found',
  'device.errors.choose_title',
  'device.errors.choose',
  // link
  'link.unknown_code',
  // logout
  'logout.errors.title',
  'logout.errors.repeated_parameter',
  'logout.errors.foreign_id_token',
  'logout.errors.client_mismatch',
  'logout.errors.unknown_client',
  'logout.errors.redirect_without_client',
  'logout.errors.redirect_not_registered',
  // session_limit
  'session_limit.title',
  'session_limit.redirect',
  // account
  'account.wrong_password',
  'account.homeserver_down_title',
  'account.consents.not_found_title',
  'account.consents.not_found',
  'account.password.new_required',
  'account.password.unavailable_title',
  'account.password.unavailable',
  'account.profile.unavailable_title',
  'account.profile.unavailable',
  'account.profile.homeserver_down',
  'account.profile.name_required',
  'account.profile.name_too_long',
  'account.cross_signing.no_homeserver_title',
  'account.cross_signing.no_homeserver',
  'account.cross_signing.homeserver_down',
  'account.deactivate.unavailable_title',
  'account.deactivate.unavailable',
  'account.deactivate.confirm_username',
  'account.emails.unavailable_title',
  'account.emails.unavailable',
  'account.emails.verification_not_found_title',
  'account.emails.verification_not_found',
  'account.emails.already_yours',
  'account.emails.used_by_other',
  'account.emails.added',
  'account.emails.removed',
  'account.emails.not_removed',
  'account.emails.address_not_found_title',
  'account.emails.address_not_found',
  'account.emails.only_address',
  'account.sessions.not_found_title',
  'account.sessions.not_found',
  'account.sessions.ended_title',
  'account.sessions.ended_no_rename',
  'account.sessions.name_too_long',
  'account.sessions.device_not_found_title',
  'account.sessions.device_not_found',
  'account.tokens.not_offered_title',
  'account.tokens.not_offered',
  'account.tokens.not_found_title',
  'account.tokens.not_found',
  'account.session_limit.still_over',
  'account.user_agent.on',
  'account.user_agent.other',
  // authorize (and the compat SSO completion page)
  'authorize.invalid_title',
  'authorize.malformed',
  'authorize.no_client',
  'authorize.unknown_client',
  'authorize.redirect_not_registered',
  'authorize.redirect_missing',
  'authorize.not_allowed_title',
  'authorize.scope_not_allowed',
  'authorize.invalid_device_id',
  'authorize.too_many_devices',
  'authorize.device_without_api',
  'authorize.mixed_scope_forms',
  'authorize.too_many_sessions_title',
  'authorize.too_many_sessions',
  'authorize.not_found_title',
  'authorize.not_found',
  'authorize.completed_title',
  'authorize.completed',
  'authorize.compat_sso_not_found_title',
  'authorize.compat_sso_not_found',
  'authorize.compat_sso_gone_title',
  'authorize.compat_sso_gone',
] as const;

export type MessageKey = (typeof PAGE_MESSAGE_KEYS)[number];

export type MessageVars = Readonly<Record<string, string | number>>;

/** A message for a page: its translation key, its variables, and sentences that follow it. */
export interface PageMessage {
  readonly key: MessageKey;
  readonly vars?: MessageVars;
  /** Further sentences shown after it, each translated (e.g. a weak password's suggestions). */
  readonly more?: readonly PageMessage[];
}

export function pageMessage(key: MessageKey, vars?: MessageVars): PageMessage {
  return vars === undefined ? { key } : { key, vars };
}

let english: Translations | null = null;

/**
 * The message in English (the built-in translations), for logs and for the plain `title` and
 * `message` an error page also carries.
 */
export function englishText(message: PageMessage): string {
  english ??= new Translations();
  const text = english.translate('en', message.key, message.vars ?? {});
  return [text, ...(message.more ?? []).map(englishText)].join(' ');
}

/** Why a form's CSRF check failed, by the code csrf.ts gives it. */
const CSRF_REASONS: Readonly<Record<CsrfErrorCode, MessageKey>> = {
  missing: 'error.csrf.missing',
  'no-cookie': 'error.csrf.no_cookie',
  expired: 'error.csrf.expired',
  mismatch: 'error.csrf.mismatch',
};

/** The error page's message for a refused CSRF check: by the error's code, else its text as it is. */
export function csrfMessage(error: {
  readonly code?: CsrfErrorCode | undefined;
  readonly message: string;
}): PageMessage {
  const code = error.code;
  return code === undefined
    ? pageMessage('error.csrf.other', { reason: error.message })
    : pageMessage(CSRF_REASONS[code]);
}
