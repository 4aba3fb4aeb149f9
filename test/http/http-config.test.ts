// The `http` section's schema (src/config/sections/http.ts): MAS defaults, the resource and bind
// forms, and the errors a wrong file gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  httpIssuer,
  httpSchema,
  parseBindAddress,
  parseSocketMode,
} from '../../src/config/sections/http.ts';

function problems(input: unknown): string[] {
  const result = httpSchema.safeParse(input);
  assert.equal(result.success, false, 'expected a config error');
  return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('http config section', () => {
  it('has MAS defaults', () => {
    const config = httpSchema.parse({});
    assert.equal(config.public_base, 'http://[::]:8080/');
    assert.equal(httpIssuer(config), 'http://[::]:8080/');
    assert.deepEqual(config.trusted_proxies, [
      '192.168.0.0/16',
      '172.16.0.0/12',
      '10.0.0.0/10',
      '127.0.0.0/8',
      'fd00::/8',
      '::1/128',
    ]);
    assert.deepEqual(config.listeners, [
      {
        name: 'web',
        resources: [
          { name: 'discovery' },
          { name: 'human' },
          { name: 'oauth' },
          { name: 'compat' },
          { name: 'graphql', playground: false, undocumented_oauth2_access: false },
          { name: 'assets' },
        ],
        binds: [{ address: '[::]:8080' }],
        proxy_protocol: false,
      },
      {
        name: 'internal',
        resources: [{ name: 'health' }],
        binds: [{ host: 'localhost', port: 8081 }],
        proxy_protocol: false,
      },
    ]);
  });

  it('keeps an explicit issuer', () => {
    assert.equal(
      httpIssuer(
        httpSchema.parse({
          public_base: 'https://auth.example.com/',
          issuer: 'https://example.com/',
        }),
      ),
      'https://example.com/',
    );
  });

  it('accepts every MAS resource and bind form', () => {
    const config = httpSchema.parse({
      listeners: [
        {
          name: 'all',
          resources: [
            { name: 'discovery' },
            { name: 'human' },
            { name: 'oauth' },
            { name: 'compat' },
            { name: 'graphql', playground: true },
            { name: 'assets', path: './share/assets/' },
            { name: 'adminapi' },
            { name: 'health' },
            { name: 'prometheus' },
            { name: 'connection-info' },
          ],
          prefix: '/auth',
          binds: [
            { address: '[::]:8080' },
            { address: '0.0.0.0:8080' },
            { host: 'localhost', port: 8081 },
            { port: 8082 },
            { socket: '/tmp/mas.sock' },
            { socket: '/tmp/mas2.sock', mode: '660' },
            { fd: 1 },
            { fd: 0, kind: 'unix' },
            {},
          ],
          proxy_protocol: false,
          tls: { certificate_file: '/c.pem', key_file: '/k.pem', password_file: '/p.txt' },
        },
      ],
    });
    const binds = config.listeners[0]!.binds;
    assert.deepEqual(binds.at(-1), { fd: 0, kind: 'tcp' });
    assert.deepEqual(binds[6], { fd: 1, kind: 'tcp' });
  });

  it('rejects an unknown resource with its path', () => {
    const found = problems({
      listeners: [{ resources: [{ name: 'health' }, { name: 'webhooks' }], binds: [{ port: 1 }] }],
    });
    assert.equal(found.length, 1);
    assert.match(
      found[0]!,
      /^listeners\.0\.resources\.1(\.name)?: unknown resource; expected one of discovery, human, /,
    );
  });

  it('rejects unknown keys, empty listeners, bad binds, a relative prefix and half-set TLS', () => {
    const found = problems({
      listeners: [
        { resources: [], binds: [] },
        {
          resources: [{ name: 'assets', pth: 'x' }],
          prefix: 'auth',
          binds: [
            { address: 'localhost' },
            { adress: ':80' },
            { socket: '/s', mode: '0o999' },
            { host: 'x', port: 70000 },
          ],
          tls: { certificate: 'a', certificate_file: 'b' },
        },
      ],
      public_base: 'not a url',
    });
    const text = found.join('\n');
    assert.match(text, /^listeners\.0\.resources: listener has no resources$/m);
    assert.match(text, /^listeners\.0\.binds: listener does not bind to any address$/m);
    assert.match(text, /^listeners\.1\.resources\.0: Unrecognized key: "pth"$/m);
    assert.match(text, /^listeners\.1\.prefix: must start with `\/`$/m);
    assert.match(text, /^listeners\.1\.binds\.0: `address`: "localhost" is not HOST:PORT/m);
    assert.match(text, /^listeners\.1\.binds\.1: Unrecognized key: "adress"$/m);
    assert.match(text, /^listeners\.1\.binds\.2: `mode`: "0o999" is not an octal file mode/m);
    assert.match(text, /^listeners\.1\.binds\.3: `port`: Too big/m);
    assert.match(
      text,
      /^listeners\.1\.tls\.certificate_file: set `certificate` or `certificate_file`, not both$/m,
    );
    assert.match(text, /^listeners\.1\.tls: TLS configuration is missing a private key$/m);
    assert.match(text, /^public_base: must be an absolute http\(s\) URL$/m);
  });

  it('names the bind forms when a bind mixes them', () => {
    assert.deepEqual(
      problems({
        listeners: [
          { resources: [{ name: 'health' }], binds: [{ address: '127.0.0.1:1', port: 1 }] },
        ],
      }),
      [
        'listeners.0.binds.0: a bind is one of `address`, `host` with `port`, `socket` (with `mode`), or `fd` (with `kind`)',
      ],
    );
  });

  it('rejects trusted proxies that are not networks', () => {
    assert.match(
      problems({ trusted_proxies: ['10.0.0.0/33'] })[0]!,
      /^trusted_proxies\.0: must be an IP address or network/,
    );
    assert.equal(
      httpSchema.parse({ trusted_proxies: ['2001:db8::/32', '10.1.2.3'] }).trusted_proxies.length,
      2,
    );
  });

  it('parses bind addresses and socket modes', () => {
    assert.deepEqual(parseBindAddress('[::]:8080'), { host: '::', port: 8080 });
    assert.deepEqual(parseBindAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.throws(() => parseBindAddress('[1.2.3.4]:80'), /not an IPv6 address/);
    assert.throws(() => parseBindAddress('[nope]:80'), /not HOST:PORT/);
    assert.throws(() => parseBindAddress('1.2.3.4:99999'), /not HOST:PORT/);
    assert.equal(parseSocketMode('600'), 0o600);
    assert.equal(parseSocketMode('0660'), 0o660);
    assert.equal(parseSocketMode(660), 0o660);
    assert.throws(() => parseSocketMode(698), /not an octal file mode/);
    assert.throws(() => parseSocketMode('rw-rw----'), /not an octal file mode/);
  });
});
