import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientAddressKey } from '../../src/rate-limit/client-address.ts';

describe('clientAddressKey', () => {
  it('keeps IPv4 addresses, also when mapped into IPv6', () => {
    assert.equal(clientAddressKey('192.0.2.1'), '192.0.2.1');
    assert.equal(clientAddressKey('::ffff:192.0.2.1'), '192.0.2.1');
  });

  it('groups IPv6 addresses by /64, whatever their spelling', () => {
    const key = '2001:db8:0:1::/64';
    assert.equal(clientAddressKey('2001:db8:0:1::1'), key);
    assert.equal(clientAddressKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff'), key);
    assert.equal(clientAddressKey('2001:DB8::1:0:0:0:7'), key);
    assert.equal(clientAddressKey('2001:db8:0:1:1:2:192.0.2.1'), key);
    assert.equal(clientAddressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.notEqual(clientAddressKey('2001:db8:0:2::1'), key);
    assert.equal(clientAddressKey('::1'), '0:0:0:0::/64');
  });

  it('passes anything else through', () => {
    assert.equal(clientAddressKey('unix-socket'), 'unix-socket');
  });
});
