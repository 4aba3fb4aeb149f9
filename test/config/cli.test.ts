// `gatehouse config check | dump | generate | schema`, run in-process.

import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { parse } from 'yaml';
import { runConfigCli, tempDir } from './cli-harness.ts';

const MAS_GENERATED = new URL('fixtures/mas-generated.yaml', import.meta.url);
const COMMITTED_SCHEMA = new URL('../../docs/config.schema.json', import.meta.url);

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('config check', () => {
  it('accepts the file `mas-cli config generate` writes, keys included', async () => {
    copyFileSync(MAS_GENERATED, join(dir, 'config.yaml'));
    const run = await runConfigCli(['config', 'check'], { cwd: dir });
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out.split('\n')[0], 'configuration OK');
    assert.doesNotMatch(run.out, /no matrix section/);
  });

  it('lists every problem with file and path, and exits 1', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      `secrets:
  encryption: ${'ab'.repeat(32)}
captcha:
  service: recaptcha_v3
account:
  login_with_email_allowed: "yes"
branding:
  logo: x.png
`,
    );
    const run = await runConfigCli(['config', 'check', '-c', file], { cwd: dir });
    assert.equal(run.code, 1);
    assert.equal(run.out, '');
    assert.deepEqual(run.err.split('\n').sort(), [
      `${file}: account.login_with_email_allowed: expected true or false, got "yes"`,
      `${file}: branding.logo: unknown key \`logo\`; expected one of service_name, policy_uri, tos_uri, imprint`,
      `${file}: captcha.service: expected one of "recaptcha_v2", "cloudflare_turnstile", "hcaptcha", got "recaptcha_v3"`,
      'error: the configuration has 3 problems',
    ]);
  });

  it('loads the keys and reports a key that cannot be read', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      `secrets:\n  encryption: ${'ab'.repeat(32)}\n  keys:\n    - key_file: ${join(dir, 'nope.pem')}\n`,
    );
    const run = await runConfigCli(['config', 'check'], {
      cwd: dir,
      env: { MAS_CONFIG: 'config.yaml' },
    });
    assert.equal(run.code, 1);
    assert.match(run.err, new RegExp(`^${file}: secrets\\.keys\\[0\\]\\.key_file: `, 'm'));
  });

  it('notes that there is no matrix section', async () => {
    const generated = await runConfigCli(['config', 'generate'], { cwd: dir });
    const withoutMatrix = generated.out.replace(/\nmatrix:\n(?: {2}.*\n)+/, '\n');
    assert.notEqual(withoutMatrix, generated.out);
    writeFileSync(join(dir, 'standalone.yaml'), withoutMatrix);
    const run = await runConfigCli(['config', 'check'], {
      cwd: dir,
      env: { GATEHOUSE_CONFIG: 'standalone.yaml' },
    });
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^configuration OK$/m);
    assert.match(
      run.out,
      /^note: no matrix section: Gatehouse runs as a standalone OpenID provider$/m,
    );
  });
});

describe('config generate', () => {
  it('writes a file that passes config check, with fresh secrets', async () => {
    const run = await runConfigCli(['config', 'generate', '-o', 'config.yaml'], { cwd: dir });
    assert.equal(run.code, 0, run.err);
    assert.equal(statSync(join(dir, 'config.yaml')).mode & 0o777, 0o600);
    const text = readFileSync(join(dir, 'config.yaml'), 'utf8');
    assert.match(text, /^# /);
    const config = parse(text);
    assert.match(config.secrets.encryption, /^[0-9a-f]{64}$/);
    assert.match(config.secrets.keys[0].key, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(config.secrets.keys[1].key, /^-----BEGIN EC PRIVATE KEY-----\n/);
    assert.match(config.matrix.secret, /^[A-Za-z0-9]{32}$/);
    assert.deepEqual(config.matrix, {
      ...config.matrix,
      homeserver: 'localhost:8008',
      endpoint: 'http://localhost:8008/',
    });
    assert.equal(config.http.public_base, 'http://localhost:8080/');
    assert.deepEqual(config.http.listeners, [
      {
        name: 'web',
        resources: ['discovery', 'human', 'oauth', 'compat', 'graphql', 'assets'].map((name) => ({
          name,
        })),
        binds: [{ address: '0.0.0.0:8080' }],
      },
      {
        name: 'internal',
        resources: [{ name: 'health' }],
        binds: [{ host: '127.0.0.1', port: 8081 }],
      },
    ]);
    assert.equal(config.database.uri, 'sqlite:data/gatehouse.db');

    const check = await runConfigCli(['config', 'check'], { cwd: dir });
    assert.equal(check.code, 0, check.err);
    assert.match(check.out, /^configuration OK$/m);

    const other = parse(
      (await runConfigCli(['config', 'generate'], { cwd: dir, seed: 'another' })).out,
    );
    assert.notEqual(other.secrets.encryption, config.secrets.encryption);
    assert.notEqual(other.secrets.keys[0].key, config.secrets.keys[0].key);
  });

  it('takes the database, public URL and listen address', async () => {
    const uri = 'postgresql://gatehouse:pa%40ss@db.internal:5432/gatehouse?sslmode=verify-full';
    const run = await runConfigCli(
      [
        'config',
        'generate',
        '--database',
        uri,
        '--public-base',
        'https://auth.example.com/',
        '--listen',
        '127.0.0.1:9000',
      ],
      { cwd: dir },
    );
    assert.equal(run.code, 0, run.err);
    const config = parse(run.out);
    assert.equal(config.database.uri, uri);
    assert.equal(config.http.public_base, 'https://auth.example.com/');
    assert.deepEqual(config.http.listeners[0].binds, [{ address: '127.0.0.1:9000' }]);
  });

  it('refuses a bad database URI', async () => {
    const run = await runConfigCli(['config', 'generate', '--database', 'mysql://localhost/x'], {
      cwd: dir,
    });
    assert.equal(run.code, 1);
    assert.match(run.err, /^error: the generated configuration is invalid: database\.uri: /);
  });

  it('does not overwrite a file unless --force', async () => {
    writeFileSync(join(dir, 'config.yaml'), 'precious: true\n');
    const refused = await runConfigCli(['config', 'generate', '-o', 'config.yaml'], { cwd: dir });
    assert.equal(refused.code, 1);
    assert.equal(refused.err, 'error: config.yaml already exists; use --force to overwrite it');
    assert.equal(readFileSync(join(dir, 'config.yaml'), 'utf8'), 'precious: true\n');
    const forced = await runConfigCli(['config', 'generate', '-o', 'config.yaml', '--force'], {
      cwd: dir,
    });
    assert.equal(forced.code, 0, forced.err);
    assert.match(readFileSync(join(dir, 'config.yaml'), 'utf8'), /^secrets:$/m);
  });
});

describe('config dump', () => {
  it('prints the merged configuration with defaults', async () => {
    copyFileSync(MAS_GENERATED, join(dir, 'mas.yaml'));
    writeFileSync(
      join(dir, 'local.yaml'),
      'matrix:\n  homeserver: example.com\nbranding:\n  service_name: Example\n',
    );
    const run = await runConfigCli(['config', 'dump', '-c', 'mas.yaml', '-c', 'local.yaml'], {
      cwd: dir,
    });
    assert.equal(run.code, 0, run.err);
    const dumped = parse(run.out);
    assert.equal(dumped.matrix.homeserver, 'example.com');
    assert.equal(dumped.matrix.endpoint, 'http://localhost:8008/');
    assert.equal(dumped.branding.service_name, 'Example');
    assert.equal(dumped.secrets.keys.length, 4);
    assert.deepEqual(dumped.rate_limiting.login.per_ip, { burst: 3, per_second: 0.05 });
  });
});

describe('config schema', () => {
  it('prints a JSON Schema 2020-12 identical to docs/config.schema.json', async () => {
    const run = await runConfigCli(['config', 'schema'], { cwd: dir });
    assert.equal(run.code, 0, run.err);
    const schema = JSON.parse(run.out);
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.type, 'object');
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ['secrets']);
    assert.equal(Object.keys(schema.properties).length, 17);
    assert.equal(
      `${run.out}\n`,
      readFileSync(COMMITTED_SCHEMA, 'utf8'),
      'docs/config.schema.json is stale: run `node scripts/config-docs.ts`',
    );

    const written = await runConfigCli(['config', 'schema', '-o', 'schema.json'], { cwd: dir });
    assert.equal(written.code, 0, written.err);
    assert.equal(
      readFileSync(join(dir, 'schema.json'), 'utf8'),
      readFileSync(COMMITTED_SCHEMA, 'utf8'),
    );
  });
});
