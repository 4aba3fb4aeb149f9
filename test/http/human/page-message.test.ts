// The messages human pages get from their handlers: every key a handler can use (the one list,
// PAGE_MESSAGE_KEYS) is in translations/en.json; the translated English of every policy
// violation, weak-password answer, CSRF refusal and scope line is exactly the English sentence the
// policy layer (or csrf.ts, or the old page) words; and the page handlers throw their error pages
// only through pageError (keys), never with English literals.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CAPTCHA_REFUSAL_TEXT } from '../../../src/captcha/captcha-verifier.ts';
import { CSRF_ERROR_CODES, CsrfError } from '../../../src/http/csrf.ts';
import { describeScopes } from '../../../src/http/handlers/oauth2/consent.ts';
import {
  csrfMessage,
  englishText,
  PAGE_MESSAGE_KEYS,
} from '../../../src/http/handlers/human/page-message.ts';
import {
  captchaMessage,
  grantViolationMessage,
  passwordComplexityMessage,
  policyViolationMessage,
} from '../../../src/http/handlers/human/policy-messages.ts';
import {
  AccountPolicy,
  POLICY_VIOLATION_CODES,
  type PolicyViolation,
} from '../../../src/policy/account-policy.ts';
import type { PolicyViolationCode as GrantViolationCode } from '../../../src/oauth2/grant-policy.ts';
import { checkPasswordComplexity } from '../../../src/policy/password-complexity.ts';
import { Translations } from '../../../src/templates/i18n.ts';

describe('page message keys', () => {
  it('are all in translations/en.json', () => {
    const english = new Set(new Translations().keys());
    assert.ok(PAGE_MESSAGE_KEYS.length > 100);
    assert.deepEqual(
      PAGE_MESSAGE_KEYS.filter((key) => !english.has(key)),
      [],
    );
  });

  it('are listed once each', () => {
    assert.equal(new Set(PAGE_MESSAGE_KEYS).size, PAGE_MESSAGE_KEYS.length);
  });
});

describe('policy violations as page messages', () => {
  const policy = new AccountPolicy(
    {
      registration: {
        banned_usernames: { literals: ['admin'] },
        allowed_usernames: { prefixes: ['a', '1'] },
      },
      emails: {
        banned_addresses: { literals: ['x@ok.test'] },
        allowed_addresses: { suffixes: ['.test'] },
      },
      allowed_domains: ['*.test'],
      banned_domains: ['spam.test'],
      requester: { banned_ips: ['192.0.2.0/24'] },
    },
    'example.com',
  );
  const violations: PolicyViolation[] = [
    ...policy.usernameViolations(''),
    ...policy.usernameViolations('a'.repeat(300)),
    ...policy.usernameViolations('123'),
    ...policy.usernameViolations('Alice!'),
    ...policy.usernameViolations('admin'),
    ...policy.emailViolations('nope'),
    ...policy.emailViolations('x@example.com'),
    ...policy.emailViolations('x@spam.test'),
    ...policy.emailViolations('x@ok.test'),
    ...policy.requesterViolations({ ipAddress: '192.0.2.7', userAgent: null }),
  ];

  it('covers every code in these samples', () => {
    const seen = new Set(violations.map((v) => v.code));
    assert.deepEqual(
      POLICY_VIOLATION_CODES.filter((code) => !seen.has(code)),
      [],
    );
  });

  it('reads in English exactly as the policy words it', () => {
    for (const violation of violations) {
      assert.equal(
        englishText(policyViolationMessage(violation)),
        violation.message,
        violation.code,
      );
    }
  });
});

describe('weak passwords as page messages', () => {
  it('read in English exactly as the complexity check words them', async () => {
    const seen = new Set<string>();
    for (const password of [
      'password',
      'qwertyuiop',
      'aaaaaaaaaa',
      'abcabcabcabc',
      '1234567890',
      'Jennifer',
      'alice1987',
      '2019',
      'drowssap',
      'P@ssw0rd',
      '12/25/1990',
      'alice',
    ]) {
      const result = await checkPasswordComplexity(password, 4, ['alice']);
      assert.equal(result.ok, false, password);
      const message = passwordComplexityMessage(result);
      seen.add(message.key);
      for (const more of message.more ?? []) seen.add(more.key);
      assert.equal(
        englishText(message),
        [result.reason, ...result.suggestions].join(' '),
        password,
      );
    }
    // Known warnings and suggestions get keys of their own (not the catch-all ones).
    assert.ok([...seen].some((key) => /^policy\.password_weak\.[a-z]+[A-Z]/.test(key)));
    assert.ok(!seen.has('policy.password_suggestion.other'), [...seen].join(', '));
  });

  it('keeps the English of a warning it has no key for', () => {
    const message = passwordComplexityMessage({
      ok: false,
      score: 0,
      reason: 'This password is too weak: something new is easy to guess.',
      suggestions: ['Try something else.'],
      warningCode: 'somethingNew',
      suggestionCodes: [null],
    });
    assert.equal(message.key, 'policy.password_weak.other');
    assert.equal(
      englishText(message),
      'This password is too weak: something new is easy to guess. Try something else.',
    );
  });
});

describe('other handler messages', () => {
  it('words every CSRF refusal by its code, as before', () => {
    for (const code of CSRF_ERROR_CODES) {
      const error = new CsrfError(code);
      const message = csrfMessage(error);
      assert.notEqual(message.key, 'error.csrf.other', code);
      assert.equal(
        englishText(message),
        `${error.message} Go back, reload the page and try again.`,
      );
    }
    assert.equal(
      englishText(csrfMessage({ message: 'Something csrf.ts might say one day.' })),
      'Something csrf.ts might say one day. Go back, reload the page and try again.',
    );
  });

  it('words both CAPTCHA refusals by their code as the verifier does', () => {
    for (const code of ['not-solved', 'unavailable'] as const) {
      const text = CAPTCHA_REFUSAL_TEXT[code];
      assert.equal(englishText(captchaMessage({ code })), text);
    }
    assert.notEqual(
      captchaMessage({ code: 'unavailable' }).key,
      captchaMessage({ code: 'not-solved' }).key,
    );
  });

  it('words every grant policy refusal, with a title', () => {
    const codes: GrantViolationCode[] = [
      'scope-not-allowed',
      'invalid-device-id',
      'too-many-devices',
      'device-without-api',
      'mixed-scope-forms',
      'too-many-sessions',
    ];
    const english = new Set(new Translations().keys());
    for (const code of codes) {
      const { title, message } = grantViolationMessage({ code, message: 'why', needToRemove: 2 });
      assert.ok(english.has(title) && english.has(message.key), code);
    }
    const admin = grantViolationMessage({
      code: 'scope-not-allowed',
      message:
        'scope urn:synapse:admin:* is not allowed: this account may not request admin access',
    });
    assert.match(englishText(admin.message), /may not request admin access\.$/);
    const limit = grantViolationMessage({
      code: 'too-many-sessions',
      message: '',
      needToRemove: 3,
    });
    assert.equal(limit.title, 'authorize.too_many_sessions_title');
    assert.match(englishText(limit.message), /end at least 3 of your sessions/);
  });

  it('describes scopes in English as before', () => {
    const lines = describeScopes(
      'openid profile urn:matrix:client:api:* urn:matrix:client:device:ABC custom:x',
    );
    assert.deepEqual(
      lines.map((line) => line.description).sort(),
      [
        'Know who you are on this service',
        'See your username',
        'Use your Matrix account: read and send messages, manage your rooms',
        'Sign in as the device “ABC”',
        'Other permission: custom:x',
      ].sort(),
    );
    for (const line of lines) assert.equal(englishText(line.message), line.description);
  });

  it('leaves no English error page literals in the page handlers', () => {
    const handlers = [
      'human/register.ts',
      'human/register-password.ts',
      'human/register-verify-email.ts',
      'human/register-token.ts',
      'human/register-display-name.ts',
      'human/register-finish.ts',
      'human/registration-flow.ts',
      'human/recover.ts',
      'human/recover-progress.ts',
      'human/recover-ticket.ts',
      'human/login.ts',
      'human/logout.ts',
      'human/end-session.ts',
      'human/session-limit.ts',
      'human/link.ts',
      'human/device-consent.ts',
      'oauth2/consent.ts',
      'oauth2/authorize.ts',
      'compat/login-sso-complete.ts',
      'human/account-consents.ts',
      'human/account-cross-signing.ts',
      'human/account-deactivate.ts',
      'human/account-emails.ts',
      'human/account-password.ts',
      'human/account-profile.ts',
      'human/account-reauth.ts',
      'human/account-session-detail.ts',
      'human/account-sessions.ts',
      'human/account-tokens.ts',
    ];
    for (const file of handlers) {
      const source = readFileSync(
        new URL(`../../../src/http/handlers/${file}`, import.meta.url),
        'utf8',
      );
      assert.doesNotMatch(source, /new HumanPageError\(/, file);
    }
  });
});
