// Claim mapping: subject, account name, every import action, email verification, every
// `on_conflict` value, skip_confirmation and login_only.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  asUpstreamOAuthLinkId,
  asUpstreamOAuthProviderId,
  type ImportAction,
  type UpstreamClaimsImports,
  type UpstreamOAuthLink,
} from '../../src/model/upstream-oauth.ts';
import {
  assertMayRegister,
  canSkipConfirmation,
  ClaimMappingError,
  decideLocalpart,
  emailVerified,
  importAttribute,
  mapClaims,
  renderClaimTemplate,
  templateClaims,
  upstreamAccountName,
  upstreamSubject,
} from '../../src/upstream/claim-mapping.ts';
import { providerFields } from './provider-fixtures.ts';

const base = providerFields().claimsImports;

function imports(overrides: Partial<UpstreamClaimsImports> = {}): UpstreamClaimsImports {
  return { ...base, ...overrides };
}

function mappingError(fn: () => unknown): ClaimMappingError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ClaimMappingError, String(error));
    return error;
  }
  assert.fail('no ClaimMappingError');
}

const claims = {
  sub: 'u-123',
  preferred_username: 'alice@corp.example',
  name: 'Alice Liddell',
  email: 'alice@example.com',
  email_verified: true,
};

describe('subject and account name', () => {
  it('uses `sub` by default and a template when set', () => {
    assert.equal(upstreamSubject(imports(), claims), 'u-123');
    assert.equal(
      upstreamSubject(imports({ subject: { template: '{{ user.email | lower }}' } }), {
        email: 'A@B',
      }),
      'a@b',
    );
  });

  it('refuses an empty subject with a readable message', () => {
    const error = mappingError(() => upstreamSubject(imports(), { name: 'x' }));
    assert.equal(error.kind, 'missing_claim');
    assert.equal(error.attribute, 'subject');
    assert.doesNotMatch(error.message, /\n/);
  });

  it('account name: null unless configured, trimmed otherwise', () => {
    assert.equal(upstreamAccountName(imports(), claims), null);
    const named = imports({ accountName: { template: '  {{ user.preferred_username }} ' } });
    assert.equal(upstreamAccountName(named, claims), 'alice@corp.example');
    assert.equal(upstreamAccountName(named, {}), null);
  });

  it('templates see userinfo overlaid with the ID token claims (signed claims win, as MAS)', () => {
    const merged = templateClaims({ sub: 'a', name: 'id token' }, { name: 'userinfo', x: 1 });
    assert.deepEqual(merged, { sub: 'a', name: 'id token', x: 1 });
    assert.deepEqual(templateClaims({ sub: 'a' }, null), { sub: 'a' });
    assert.deepEqual(templateClaims(null, null), {});
  });

  it('templates may read each source, as MAS offers them', () => {
    const sources = {
      idTokenClaims: { sub: 'a', name: 'from id token' },
      userinfo: { name: 'from userinfo' },
      extraCallbackParameters: { tenant: 't1' },
    };
    const user = templateClaims(sources.idTokenClaims, sources.userinfo);
    const render = (template: string) => renderClaimTemplate(template, user, sources).value;
    assert.equal(render('{{ user.name }}'), 'from id token');
    assert.equal(render('{{ userinfo_claims.name }}'), 'from userinfo');
    assert.equal(render('{{ id_token_claims.name }}'), 'from id token');
    assert.equal(render('{{ extra_callback_parameters.tenant }}'), 't1');
    // Without sources, only `user` is there.
    assert.equal(renderClaimTemplate('{{ userinfo_claims.name }}', user).value, null);
    assert.equal(
      mapClaims(
        imports({ displayname: { action: 'force', template: '{{ userinfo_claims.name }}' } }),
        user,
        sources,
      ).displayname.value,
      'from userinfo',
    );
  });

  it('renderClaimTemplate: empty or whitespace output is missing; a failing filter says why', () => {
    assert.deepEqual(renderClaimTemplate('{{ user.x }}', { x: '  ' }), {
      value: null,
      problem: null,
    });
    assert.deepEqual(renderClaimTemplate('{{ user.x | from_json }}', { x: '{' }), {
      value: null,
      problem: 'from_json: not valid JSON',
    });
  });
});

describe('import actions', () => {
  const setting = (action: ImportAction, template: string | null = null) => ({
    action,
    template,
  });

  it('ignore: never imports, even when the claim is there', () => {
    assert.deepEqual(importAttribute('localpart', setting('ignore'), claims), {
      action: 'ignore',
      value: null,
      optional: false,
    });
  });

  it('suggest: imports when present, optional for the user; missing is fine', () => {
    assert.deepEqual(importAttribute('displayname', setting('suggest'), claims), {
      action: 'suggest',
      value: 'Alice Liddell',
      optional: true,
    });
    assert.equal(importAttribute('displayname', setting('suggest'), {}).value, null);
  });

  it('force: imports when present, not optional; missing is fine', () => {
    assert.deepEqual(importAttribute('email', setting('force'), claims), {
      action: 'force',
      value: 'alice@example.com',
      optional: false,
    });
    assert.equal(importAttribute('email', setting('force'), {}).value, null);
  });

  it('require: imports when present; missing is a typed error naming the attribute', () => {
    assert.equal(
      importAttribute(
        'localpart',
        setting('require', "{{ (user.preferred_username | split('@'))[0] }}"),
        claims,
      ).value,
      'alice',
    );
    const error = mappingError(() => importAttribute('localpart', setting('require'), {}));
    assert.equal(error.kind, 'missing_claim');
    assert.equal(error.attribute, 'localpart');
    assert.match(error.message, /username/);
  });

  it('require: a template that fails on these claims counts as missing and keeps the reason', () => {
    const error = mappingError(() =>
      importAttribute('email', setting('require', '{{ user.e | from_json }}'), { e: 'x' }),
    );
    assert.equal(error.detail, 'from_json: not valid JSON');
  });

  it('mapClaims: every attribute at once', () => {
    const mapped = mapClaims(
      imports({
        localpart: { action: 'require', template: null, onConflict: 'fail' },
        displayname: { action: 'suggest', template: null },
        email: { action: 'force', template: null, setEmailVerification: 'import' },
        accountName: { template: '{{ user.email }}' },
      }),
      claims,
    );
    assert.deepEqual(mapped, {
      subject: 'u-123',
      accountName: 'alice@example.com',
      localpart: { action: 'require', value: 'alice@corp.example', optional: false },
      displayname: { action: 'suggest', value: 'Alice Liddell', optional: true },
      email: { action: 'force', value: 'alice@example.com', optional: false, verified: true },
    });
  });

  it('mapClaims: an email that is not imported is never verified', () => {
    const mapped = mapClaims(imports(), claims);
    assert.equal(mapped.email.value, null);
    assert.equal(mapped.email.verified, false);
  });
});

describe('set_email_verification', () => {
  it('import trusts email_verified (true or "true") only', () => {
    assert.equal(emailVerified('import', { email_verified: true }), true);
    assert.equal(emailVerified('import', { email_verified: 'true' }), true);
    assert.equal(emailVerified('import', { email_verified: false }), false);
    assert.equal(emailVerified('import', { email_verified: 'yes' }), false);
    assert.equal(emailVerified('import', {}), false);
  });

  it('always and never ignore the claim', () => {
    assert.equal(emailVerified('always', {}), true);
    assert.equal(emailVerified('always', { email_verified: false }), true);
    assert.equal(emailVerified('never', { email_verified: true }), false);
  });
});

describe('on_conflict', () => {
  const link = (id: string): UpstreamOAuthLink => ({
    id: asUpstreamOAuthLinkId(id),
    providerId: asUpstreamOAuthProviderId('01HFVBY12TMNTYTBV8W921M5FA'),
    userId: null,
    subject: id,
    humanAccountName: null,
    createdAt: new Date(0),
  });
  const linked = { links: [link('01HFVBY12TMNTYTBV8W921M5FB')] };
  const unlinked = { links: [] };

  it('a free localpart registers, whatever the setting', () => {
    for (const setting of ['fail', 'add', 'replace', 'set'] as const) {
      assert.deepEqual(decideLocalpart(setting, null), { outcome: 'register' });
    }
  });

  it('fail refuses a taken localpart', () => {
    const decision = decideLocalpart('fail', unlinked);
    assert.equal(decision.outcome, 'refuse');
    assert.equal(decision.outcome === 'refuse' && decision.error.kind, 'localpart_taken');
  });

  it('add links, keeping existing links to the provider', () => {
    assert.deepEqual(decideLocalpart('add', linked), { outcome: 'link', replace: [] });
    assert.deepEqual(decideLocalpart('add', unlinked), { outcome: 'link', replace: [] });
  });

  it('replace links, replacing existing links to the provider', () => {
    assert.deepEqual(decideLocalpart('replace', linked), {
      outcome: 'link',
      replace: ['01HFVBY12TMNTYTBV8W921M5FB'],
    });
    assert.deepEqual(decideLocalpart('replace', unlinked), { outcome: 'link', replace: [] });
  });

  it('set links only an account without a link to the provider', () => {
    assert.deepEqual(decideLocalpart('set', unlinked), { outcome: 'link', replace: [] });
    const decision = decideLocalpart('set', linked);
    assert.equal(decision.outcome, 'refuse');
    assert.match(decision.outcome === 'refuse' ? decision.error.message : '', /linked/);
  });
});

describe('skip_confirmation and login_only', () => {
  it('skips only when configured and the localpart was imported', () => {
    const skipping = imports({
      skipConfirmation: true,
      localpart: { action: 'require', template: null, onConflict: 'fail' },
    });
    assert.equal(canSkipConfirmation(skipping, mapClaims(skipping, claims)), true);
    const asking = imports({
      localpart: { action: 'require', template: null, onConflict: 'fail' },
    });
    assert.equal(canSkipConfirmation(asking, mapClaims(asking, claims)), false);
  });

  it('login_only refuses registration with a readable error', () => {
    assert.doesNotThrow(() => assertMayRegister({ loginOnly: false }));
    const error = mappingError(() => assertMayRegister({ loginOnly: true }));
    assert.equal(error.kind, 'registration_disabled');
  });
});
