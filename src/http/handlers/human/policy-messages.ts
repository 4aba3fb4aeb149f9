// The one place where the policy layer's refusals become page messages: account policy violations
// (by their stable code), a weak password (by zxcvbn's names of its warning and suggestions), a
// refused CAPTCHA (by its code) and the grant policy's refusals of a signed-in user (by code). The
// policy code stays free of templates and translations; pages show these messages in the reader's
// language.
//
// To add a policy code: add it to POLICY_VIOLATION_CODES (src/policy/account-policy.ts); the
// compiler then asks for its entry in VIOLATION_MESSAGES below.

import type { CaptchaRefusal, CaptchaRefusalCode } from '../../../captcha/captcha-verifier.ts';
import type {
  PolicyViolation as GrantViolation,
  PolicyViolationCode as GrantViolationCode,
} from '../../../oauth2/grant-policy.ts';
import type { PolicyViolation, PolicyViolationCode } from '../../../policy/account-policy.ts';
import type { ComplexityResult } from '../../../policy/password-complexity.ts';
import { englishText, pageMessage, type MessageKey, type PageMessage } from './page-message.ts';

const VIOLATION_MESSAGES: Readonly<
  Record<PolicyViolationCode, (v: PolicyViolation) => PageMessage>
> = {
  'username-too-short': () => pageMessage('policy.username_too_short'),
  'username-too-long': (v) =>
    v.vars?.user_id === undefined
      ? pageMessage('policy.username_too_long', v.vars)
      : pageMessage('policy.username_too_long_id', v.vars),
  'username-all-numeric': () => pageMessage('policy.username_all_numeric'),
  'username-invalid-chars': () => pageMessage('policy.username_invalid_chars'),
  'username-banned': () => pageMessage('policy.username_banned'),
  'username-not-allowed': () => pageMessage('policy.username_not_allowed'),
  'email-invalid': () => pageMessage('policy.email_invalid'),
  'email-domain-not-allowed': (v) => pageMessage('policy.email_domain_not_allowed', v.vars),
  'email-domain-banned': (v) => pageMessage('policy.email_domain_banned', v.vars),
  'email-not-allowed': () => pageMessage('policy.email_not_allowed'),
  'email-banned': () => pageMessage('policy.email_banned'),
  'requester-banned': () => pageMessage('policy.requester_banned'),
};

export function policyViolationMessage(violation: PolicyViolation): PageMessage {
  return VIOLATION_MESSAGES[violation.code](violation);
}

/** zxcvbn's warnings and suggestions (@zxcvbn-ts/language-en) that have a message of their own. */
const WARNINGS: Readonly<Record<string, MessageKey>> = {
  straightRow: 'policy.password_weak.straightRow',
  keyPattern: 'policy.password_weak.keyPattern',
  simpleRepeat: 'policy.password_weak.simpleRepeat',
  extendedRepeat: 'policy.password_weak.extendedRepeat',
  sequences: 'policy.password_weak.sequences',
  recentYears: 'policy.password_weak.recentYears',
  dates: 'policy.password_weak.dates',
  topTen: 'policy.password_weak.topTen',
  topHundred: 'policy.password_weak.topHundred',
  common: 'policy.password_weak.common',
  similarToCommon: 'policy.password_weak.similarToCommon',
  wordByItself: 'policy.password_weak.wordByItself',
  namesByThemselves: 'policy.password_weak.namesByThemselves',
  commonNames: 'policy.password_weak.commonNames',
  userInputs: 'policy.password_weak.userInputs',
  pwned: 'policy.password_weak.pwned',
};

const SUGGESTIONS: Readonly<Record<string, MessageKey>> = {
  l33t: 'policy.password_suggestion.l33t',
  reverseWords: 'policy.password_suggestion.reverseWords',
  allUppercase: 'policy.password_suggestion.allUppercase',
  capitalization: 'policy.password_suggestion.capitalization',
  dates: 'policy.password_suggestion.dates',
  recentYears: 'policy.password_suggestion.recentYears',
  associatedYears: 'policy.password_suggestion.associatedYears',
  sequences: 'policy.password_suggestion.sequences',
  repeated: 'policy.password_suggestion.repeated',
  longerKeyboardPattern: 'policy.password_suggestion.longerKeyboardPattern',
  anotherWord: 'policy.password_suggestion.anotherWord',
  useWords: 'policy.password_suggestion.useWords',
  noNeed: 'policy.password_suggestion.noNeed',
  pwned: 'policy.password_suggestion.pwned',
};

/**
 * Why a password is too weak, with zxcvbn's suggestions after it. A warning or suggestion this
 * table does not know (a newer zxcvbn) is shown with its English text.
 */
export function passwordComplexityMessage(result: ComplexityResult): PageMessage {
  const known = result.warningCode === null ? undefined : WARNINGS[result.warningCode];
  const generic = pageMessage('policy.password_weak.generic');
  const reason =
    known !== undefined
      ? pageMessage(known)
      : result.reason === null || result.reason === englishText(generic)
        ? generic
        : pageMessage('policy.password_weak.other', {
            warning: result.reason.replace(/^This password is too weak: /, '').replace(/\.$/, ''),
          });
  const more = result.suggestions.map((text, index) => {
    const code = result.suggestionCodes[index];
    const key = code === undefined || code === null ? undefined : SUGGESTIONS[code];
    return key !== undefined
      ? pageMessage(key)
      : pageMessage('policy.password_suggestion.other', { text });
  });
  return more.length === 0 ? reason : { ...reason, more };
}

const CAPTCHA_MESSAGES: Readonly<Record<CaptchaRefusalCode, MessageKey>> = {
  'not-solved': 'register.errors.captcha_not_solved',
  unavailable: 'register.errors.captcha_unavailable',
};

/** A refused CAPTCHA (src/captcha/captcha-verifier.ts), by its code. */
export function captchaMessage(refusal: Pick<CaptchaRefusal, 'code'>): PageMessage {
  return pageMessage(CAPTCHA_MESSAGES[refusal.code]);
}

/** The grant policy's refusals (src/oauth2/grant-policy.ts) that have a message of their own. */
const GRANT_VIOLATION_MESSAGES: Readonly<
  Record<GrantViolationCode, (v: GrantViolation) => PageMessage>
> = {
  // The policy words which scope and why in English only: shown as the reason.
  'scope-not-allowed': (v) => pageMessage('authorize.scope_not_allowed', { reason: v.message }),
  'invalid-device-id': () => pageMessage('authorize.invalid_device_id'),
  'too-many-devices': () => pageMessage('authorize.too_many_devices'),
  'device-without-api': () => pageMessage('authorize.device_without_api'),
  'mixed-scope-forms': () => pageMessage('authorize.mixed_scope_forms'),
  'too-many-sessions': (v) =>
    pageMessage('authorize.too_many_sessions', { count: v.needToRemove ?? 1 }),
};

/** The refusal page's title and message for a grant policy violation of a signed-in user. */
export function grantViolationMessage(violation: GrantViolation): {
  title: MessageKey;
  message: PageMessage;
} {
  return {
    title:
      violation.code === 'too-many-sessions'
        ? 'authorize.too_many_sessions_title'
        : 'authorize.not_allowed_title',
    message: GRANT_VIOLATION_MESSAGES[violation.code](violation),
  };
}
