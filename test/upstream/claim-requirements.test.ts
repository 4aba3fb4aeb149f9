// Gatehouse-only claim tests: claim paths, `contains` / `equals`, `claims_requirements` and
// `admin_claim`.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClaimRequirement } from '../../src/model/upstream-oauth.ts';
import {
  adminDecision,
  checkClaimsRequirements,
  claimAt,
  claimMatches,
  DEFAULT_REQUIREMENT_MESSAGE,
} from '../../src/upstream/claim-requirements.ts';

const claims = {
  sub: 'x',
  groups: ['matrix-users', 'staff'],
  role: 'admin',
  level: 3,
  active: true,
  realm_access: { roles: ['offline', 'chat'] },
  'https://example.com/claims.team': 'blue',
};

const contains = (claim: string, value: string) => ({ claim, contains: value, equals: null });
const equals = (claim: string, value: string) => ({ claim, contains: null, equals: value });

describe('claimAt', () => {
  it('reads a key, then a dotted path into nested objects', () => {
    assert.equal(claimAt(claims, 'role'), 'admin');
    assert.deepEqual(claimAt(claims, 'realm_access.roles'), ['offline', 'chat']);
    assert.equal(claimAt(claims, 'https://example.com/claims.team'), 'blue');
    assert.equal(claimAt(claims, 'realm_access.missing'), undefined);
    assert.equal(claimAt(claims, 'groups.0'), undefined);
    assert.equal(claimAt(claims, 'toString'), undefined);
  });
});

describe('claimMatches', () => {
  it('contains: a list holding the value, or that single value', () => {
    assert.equal(claimMatches(contains('groups', 'staff'), claims), true);
    assert.equal(claimMatches(contains('groups', 'admins'), claims), false);
    assert.equal(claimMatches(contains('realm_access.roles', 'chat'), claims), true);
    assert.equal(claimMatches(contains('role', 'admin'), claims), true);
    assert.equal(claimMatches(contains('missing', 'x'), claims), false);
  });

  it('equals: a scalar, numbers and booleans compared as text', () => {
    assert.equal(claimMatches(equals('role', 'admin'), claims), true);
    assert.equal(claimMatches(equals('role', 'Admin'), claims), false);
    assert.equal(claimMatches(equals('level', '3'), claims), true);
    assert.equal(claimMatches(equals('active', 'true'), claims), true);
    assert.equal(claimMatches(equals('groups', 'staff'), claims), false);
    assert.equal(claimMatches(equals('missing', ''), claims), false);
  });
});

describe('checkClaimsRequirements', () => {
  it('passes when every requirement holds (and with none)', () => {
    assert.deepEqual(checkClaimsRequirements([], claims), { ok: true });
    const all: ClaimRequirement[] = [
      { ...contains('groups', 'matrix-users'), message: null },
      { ...equals('role', 'admin'), message: null },
    ];
    assert.deepEqual(checkClaimsRequirements(all, claims), { ok: true });
  });

  it('names the first failing requirement and its message', () => {
    const failing: ClaimRequirement = {
      ...contains('groups', 'vip'),
      message: 'Ask IT for access',
    };
    const later: ClaimRequirement = { ...equals('role', 'nobody'), message: 'later' };
    const outcome = checkClaimsRequirements(
      [{ ...equals('role', 'admin'), message: null }, failing, later],
      claims,
    );
    assert.deepEqual(outcome, { ok: false, failed: failing, message: 'Ask IT for access' });
  });

  it('falls back to a generic message', () => {
    const outcome = checkClaimsRequirements([{ ...equals('role', 'x'), message: null }], claims);
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.message, DEFAULT_REQUIREMENT_MESSAGE);
  });
});

describe('adminDecision', () => {
  it('keeps without an admin claim', () => {
    assert.equal(adminDecision(null, claims), 'keep');
  });

  it('grants when the claim matches', () => {
    assert.equal(adminDecision({ ...contains('groups', 'staff'), revoke: false }, claims), 'grant');
  });

  it('keeps or revokes when it does not, as configured', () => {
    assert.equal(adminDecision({ ...contains('groups', 'admins'), revoke: false }, claims), 'keep');
    assert.equal(
      adminDecision({ ...contains('groups', 'admins'), revoke: true }, claims),
      'revoke',
    );
  });
});
