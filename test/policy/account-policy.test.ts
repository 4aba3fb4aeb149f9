// The registration and email policy, rule by rule (MAS register.rego / email.rego semantics).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccountPolicy, type Requester } from '../../src/policy/account-policy.ts';
import { PolicyDataError } from '../../src/policy/policy-data-error.ts';

const nobody: Requester = { ipAddress: '203.0.113.9', userAgent: 'Mozilla/5.0 Firefox' };
const codes = (violations: { code: string }[]) => violations.map((v) => v.code).sort();

describe('username rules', () => {
  const policy = new AccountPolicy({}, 'example.test');

  it('accepts an ordinary localpart with every allowed character', () => {
    assert.deepEqual(policy.usernameViolations('alice.b_c=d/e+f-g9'), []);
  });

  it('refuses an empty username', () => {
    assert.deepEqual(codes(policy.usernameViolations('')), ['username-too-short']);
  });

  it('refuses an all-digit username', () => {
    assert.deepEqual(codes(policy.usernameViolations('12345')), ['username-all-numeric']);
  });

  it('refuses upper case, spaces, colons and other characters', () => {
    for (const name of ['Alice', 'al ice', 'al:ice', 'alice!', 'élodie', 'a@b']) {
      assert.deepEqual(codes(policy.usernameViolations(name)), ['username-invalid-chars'], name);
    }
  });

  it('counts the full Matrix ID against the 255 limit', () => {
    // "@" + localpart + ":example.test" = localpart + 14 characters
    assert.deepEqual(policy.usernameViolations('a'.repeat(241)), []);
    assert.deepEqual(codes(policy.usernameViolations('a'.repeat(242))), ['username-too-long']);
    const longServer = new AccountPolicy({}, 'x'.repeat(250));
    assert.deepEqual(codes(longServer.usernameViolations('abcd')), ['username-too-long']);
  });

  it('every violation has a readable message', () => {
    for (const v of policy.usernameViolations('12 4')) {
      assert.match(v.message, /^[A-Z].+[.-]$/);
      assert.equal(v.field, 'username');
    }
  });
});

describe('banned and allowed usernames', () => {
  const banned = new AccountPolicy(
    {
      registration: {
        banned_usernames: {
          literals: ['admin'],
          substrings: ['matrix'],
          regexes: ['^support[0-9]*$'],
          prefixes: ['_bot'],
          suffixes: ['-staff'],
        },
      },
    },
    'example.test',
  );

  for (const [name, bad] of [
    ['admin', true],
    ['admins', false],
    ['mymatrixname', true],
    ['support42', true],
    ['mysupport42', false],
    ['_botty', true],
    ['bob-staff', true],
    ['bob-staffer', false],
    ['alice', false],
  ] as const) {
    it(`${name} is ${bad ? 'banned' : 'fine'}`, () => {
      assert.deepEqual(codes(banned.usernameViolations(name)), bad ? ['username-banned'] : []);
    });
  }

  const allowed = new AccountPolicy(
    {
      registration: {
        allowed_usernames: {
          literals: ['root'],
          prefixes: ['staff-'],
          suffixes: ['.team'],
          substrings: ['ops'],
          regexes: ['^[a-z]{2}[0-9]{2}$'],
        },
      },
    },
    'example.test',
  );
  for (const [name, ok] of [
    ['root', true],
    ['staff-ann', true],
    ['ann.team', true],
    ['devopsy', true],
    ['ab12', true],
    ['abc12', false],
    ['alice', false],
  ] as const) {
    it(`${name} is ${ok ? 'allowed' : 'not allowed'} by allowed_usernames`, () => {
      assert.deepEqual(codes(allowed.usernameViolations(name)), ok ? [] : ['username-not-allowed']);
    });
  }

  it('an empty allowed_usernames object allows nobody (as MAS)', () => {
    const none = new AccountPolicy({ registration: { allowed_usernames: {} } }, 'example.test');
    assert.deepEqual(codes(none.usernameViolations('alice')), ['username-not-allowed']);
  });

  it('a (?i) regex is case-insensitive', () => {
    const p = new AccountPolicy(
      { requester: { banned_user_agents: { regexes: ['(?i)curl/'] } } },
      'example.test',
    );
    assert.equal(p.requesterViolations({ ipAddress: null, userAgent: 'CURL/8.0' }).length, 1);
  });
});

describe('email rules', () => {
  it('refuses what is not an address', () => {
    const p = new AccountPolicy({}, 'example.test');
    for (const email of ['', 'alice', 'alice@', '@example.com', 'a b@example.com', 'a@b@c']) {
      assert.deepEqual(codes(p.emailViolations(email)), ['email-invalid'], email);
    }
    assert.deepEqual(p.emailViolations('alice@example.com'), []);
  });

  it('allowed_domains: globs where * stays within one label and ** crosses labels', () => {
    const p = new AccountPolicy(
      {
        allowed_domains: [
          'example.com',
          '*.example.org',
          '**.example.net',
          'mail?.test',
          '{a,b}.io',
        ],
      },
      'example.test',
    );
    for (const [email, ok] of [
      ['a@example.com', true],
      ['a@EXAMPLE.com', true],
      ['a@sub.example.com', false],
      ['a@sub.example.org', true],
      ['a@deep.sub.example.org', false],
      ['a@deep.sub.example.net', true],
      ['a@mail1.test', true],
      ['a@mail12.test', false],
      ['a@a.io', true],
      ['a@c.io', false],
      ['a@other.com', false],
    ] as const) {
      assert.deepEqual(
        codes(p.emailViolations(email)),
        ok ? [] : ['email-domain-not-allowed'],
        email,
      );
    }
  });

  it('banned_domains', () => {
    const p = new AccountPolicy({ banned_domains: ['spam.test', '*.spam.test'] }, 'example.test');
    assert.deepEqual(codes(p.emailViolations('a@spam.test')), ['email-domain-banned']);
    assert.deepEqual(codes(p.emailViolations('a@x.spam.test')), ['email-domain-banned']);
    assert.deepEqual(p.emailViolations('a@nospam.test'), []);
  });

  it('emails.allowed_addresses and banned_addresses use every constraint kind', () => {
    const p = new AccountPolicy(
      {
        emails: {
          allowed_addresses: { suffixes: ['@corp.test'], literals: ['guest@else.test'] },
          banned_addresses: {
            literals: ['ceo@corp.test'],
            substrings: ['+'],
            regexes: ['^admin'],
            prefixes: ['noreply'],
          },
        },
      },
      'example.test',
    );
    assert.deepEqual(p.emailViolations('ann@corp.test'), []);
    assert.deepEqual(p.emailViolations('guest@else.test'), []);
    assert.deepEqual(codes(p.emailViolations('ann@else.test')), ['email-not-allowed']);
    assert.deepEqual(codes(p.emailViolations('ceo@corp.test')), ['email-banned']);
    assert.deepEqual(codes(p.emailViolations('ann+x@corp.test')), ['email-banned']);
    assert.deepEqual(codes(p.emailViolations('admin1@corp.test')), ['email-banned']);
    assert.deepEqual(codes(p.emailViolations('noreply@corp.test')), ['email-banned']);
  });
});

describe('requester rules', () => {
  const p = new AccountPolicy(
    {
      requester: {
        banned_ips: ['192.0.2.0/24', '198.51.100.7', '2001:db8::/32', '::1'],
        banned_user_agents: {
          substrings: ['BadBot'],
          prefixes: ['curl/'],
          literals: ['x'],
          suffixes: ['Scanner'],
          regexes: ['^wget'],
        },
      },
    },
    'example.test',
  );
  const banned = (ipAddress: string | null, userAgent: string | null) =>
    p.requesterViolations({ ipAddress, userAgent }).length > 0;

  it('bans addresses inside a CIDR or equal to a bare address', () => {
    assert.equal(banned('192.0.2.200', null), true);
    assert.equal(banned('192.0.3.1', null), false);
    assert.equal(banned('198.51.100.7', null), true);
    assert.equal(banned('198.51.100.8', null), false);
    assert.equal(banned('2001:db8:1::5', null), true);
    assert.equal(banned('2001:db9::5', null), false);
    assert.equal(banned('::1', null), true);
    assert.equal(banned('::ffff:192.0.2.5', null), true, 'IPv4-mapped IPv6');
    assert.equal(banned(null, null), false);
  });

  it('bans user agents by every constraint kind', () => {
    assert.equal(banned(null, 'Mozilla BadBot/1'), true);
    assert.equal(banned(null, 'curl/8.1'), true);
    assert.equal(banned(null, 'x'), true);
    assert.equal(banned(null, 'Vuln Scanner'), true);
    assert.equal(banned(null, 'wget/1.2'), true);
    assert.equal(banned(null, 'Mozilla/5.0'), false);
  });

  it('registrationViolations puts everything together', () => {
    const all = p.registrationViolations({
      username: '123',
      email: 'nope',
      requester: { ipAddress: '192.0.2.1', userAgent: 'Mozilla' },
    });
    assert.deepEqual(codes(all), ['email-invalid', 'requester-banned', 'username-all-numeric']);
    assert.deepEqual(
      p.registrationViolations({ username: 'alice', email: null, requester: nobody }),
      [],
    );
  });
});

describe('policy data problems', () => {
  for (const [data, path] of [
    [
      { registration: { banned_usernames: { regexes: ['('] } } },
      'registration.banned_usernames.regexes[0]',
    ],
    [
      { registration: { banned_usernames: { literal: ['x'] } } },
      'registration.banned_usernames.literal',
    ],
    [
      { registration: { banned_usernames: { literals: 'x' } } },
      'registration.banned_usernames.literals',
    ],
    [{ requester: { banned_ips: ['10.0.0.0/33'] } }, 'requester.banned_ips[0]'],
    [{ requester: { banned_ips: ['not-an-ip'] } }, 'requester.banned_ips[0]'],
    [{ allowed_domains: ['{a,b'] }, 'allowed_domains[0]'],
    [{ emails: 'x' }, 'emails'],
  ] as const) {
    it(`names ${path}`, () => {
      assert.throws(
        () => new AccountPolicy(data as Record<string, unknown>, 'example.test'),
        (error: unknown) => error instanceof PolicyDataError && error.path === path,
      );
    });
  }
});
