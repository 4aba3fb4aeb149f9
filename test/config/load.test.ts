// Finding, reading, merging and validating configuration files, and the problems reported.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  configPaths,
  formatProblems,
  loadConfig,
  type ConfigProblem,
} from '../../src/config/load.ts';
import { tempDir } from './cli-harness.ts';

const SECRETS = `
secrets:
  encryption: ${'ab'.repeat(32)}
  keys:
    - key_file: /nonexistent/only-checked-by-config-check.pem
`;

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problemsOf(paths: string[]): ConfigProblem[] {
  const result = loadConfig(paths);
  assert.equal(result.ok, false, 'expected problems');
  return result.ok ? [] : result.problems;
}

describe('configPaths', () => {
  const cwd = '/srv/gatehouse';

  it('takes -c first, in order', () => {
    const env = { GATEHOUSE_CONFIG: 'g.yaml', MAS_CONFIG: 'm.yaml' };
    assert.deepEqual(configPaths({ cliPaths: ['a.yaml', '/etc/b.yaml'], env, cwd }), [
      '/srv/gatehouse/a.yaml',
      '/etc/b.yaml',
    ]);
  });

  it('then GATEHOUSE_CONFIG, then MAS_CONFIG, colon-separated', () => {
    assert.deepEqual(
      configPaths({ env: { GATEHOUSE_CONFIG: 'a.yaml:/etc/b.yaml', MAS_CONFIG: 'm.yaml' }, cwd }),
      ['/srv/gatehouse/a.yaml', '/etc/b.yaml'],
    );
    assert.deepEqual(
      configPaths({ cliPaths: [], env: { MAS_CONFIG: 'first.yaml:second.yaml' }, cwd }),
      ['/srv/gatehouse/first.yaml', '/srv/gatehouse/second.yaml'],
    );
    assert.deepEqual(configPaths({ env: { GATEHOUSE_CONFIG: '', MAS_CONFIG: 'm.yaml:' }, cwd }), [
      '/srv/gatehouse/m.yaml',
    ]);
  });

  it('else config.yaml in the working directory', () => {
    assert.deepEqual(configPaths({ env: {}, cwd }), ['/srv/gatehouse/config.yaml']);
  });
});

describe('merging', () => {
  it('lets later files win for scalars and merges mappings', () => {
    const a = write(
      'a.yaml',
      `${SECRETS}\nmatrix:\n  homeserver: a.example\n  secret: s3cret\nbranding:\n  service_name: A\n`,
    );
    const b = write('b.yaml', 'matrix:\n  homeserver: b.example\n');
    const result = loadConfig([a, b]);
    assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
    assert.equal(result.config.matrix?.homeserver, 'b.example');
    assert.equal(result.config.matrix?.secret, 's3cret');
    assert.equal(result.config.branding.service_name, 'A');
    assert.equal(result.fileOf('matrix.homeserver'), b);
    assert.equal(result.fileOf('matrix.secret'), a);
  });

  it('concatenates lists', () => {
    const client = (id: string) => `  - client_id: ${id}\n    client_auth_method: none\n`;
    const a = write('a.yaml', `${SECRETS}\nclients:\n${client('01GFWR28C4KNE04WG3HKXB7C9R')}`);
    const b = write('b.yaml', `clients:\n${client('01GFWR32NCQ12B8Z0J8CPXRRB6')}`);
    const result = loadConfig([a, b]);
    assert.ok(result.ok);
    assert.deepEqual(
      result.config.clients.map((c) => c.client_id),
      ['01GFWR28C4KNE04WG3HKXB7C9R', '01GFWR32NCQ12B8Z0J8CPXRRB6'],
    );
    assert.equal(result.fileOf('clients[1].client_id'), b);
  });

  it('replaces a value of another kind', () => {
    const a = write('a.yaml', `${SECRETS}\npolicy:\n  data:\n    admin_users: [alice]\n`);
    const b = write('b.yaml', 'policy:\n  data:\n    admin_users: bob\n');
    const result = loadConfig([a, b]);
    assert.ok(result.ok);
    assert.equal(result.config.policy.data.admin_users, 'bob');
  });

  it('reads an empty file as no settings', () => {
    const a = write('a.yaml', SECRETS);
    const b = write('empty.yaml', '# nothing here\n');
    assert.equal(loadConfig([a, b]).ok, true);
  });
});

describe('problems', () => {
  it('reports exactly the three mistakes, with paths and files', () => {
    const file = write(
      'broken.yaml',
      `${SECRETS}
branding:
  colour: blue
passwords:
  minimum_complexity: high
email:
  transport: pigeon
`,
    );
    assert.deepEqual(problemsOf([file]), [
      { file, path: 'passwords.minimum_complexity', message: 'expected a number, got "high"' },
      {
        file,
        path: 'branding.colour',
        message: 'unknown key `colour`; expected one of service_name, policy_uri, tos_uri, imprint',
      },
      {
        file,
        path: 'email.transport',
        message: 'expected one of "blackhole", "smtp", "sendmail", got "pigeon"',
      },
    ]);
  });

  it('names the file that set the value, deep inside concatenated lists', () => {
    const base = write(
      'base.yaml',
      `${SECRETS}
http:
  listeners:
    - name: web
      resources: [{ name: human }]
      binds: [{ address: "[::]:8080" }]
`,
    );
    const extra = write(
      'extra.yaml',
      `http:
  listeners:
    - name: internal
      resources: [{ name: health }]
      binds:
        - host: localhost
          port: 8081
        - host: localhost
          port: "8082"
`,
    );
    assert.deepEqual(problemsOf([base, extra]), [
      {
        file: extra,
        path: 'http.listeners[1].binds[1].port',
        message: 'expected a number, got "8082"',
      },
    ]);
  });

  it('suggests the key meant', () => {
    const file = write('typo.yaml', `${SECRETS}\nhttp:\n  pubic_base: https://auth.example.com/\n`);
    assert.deepEqual(problemsOf([file]), [
      {
        file,
        path: 'http.pubic_base',
        message: 'unknown key `pubic_base` (did you mean `public_base`?)',
      },
    ]);
  });

  it('reports a missing required section against the last file', () => {
    const a = write('a.yaml', 'branding:\n  service_name: A\n');
    const b = write('b.yaml', 'account:\n  password_registration_enabled: true\n');
    assert.deepEqual(problemsOf([a, b]), [
      { file: b, path: 'secrets', message: 'missing required key' },
    ]);
  });

  it('reports a missing key against the file holding its parent', () => {
    const a = write('a.yaml', `${SECRETS}\nmatrix:\n  homeserver: example.com\n`);
    const b = write('b.yaml', 'branding:\n  service_name: B\n');
    assert.deepEqual(problemsOf([a, b]), [
      { file: a, path: 'matrix.secret', message: 'missing: set `secret` or `secret_file`' },
    ]);
  });

  it('reports YAML syntax errors with line and column, and unreadable files, all at once', () => {
    const bad = write('bad.yaml', 'http:\n  public_base: [unclosed\nmatrix: {}\n');
    const duplicate = write('dup.yaml', 'branding:\n  service_name: a\n  service_name: b\n');
    const missing = join(dir, 'missing.yaml');
    const problems = problemsOf([bad, duplicate, missing]);
    assert.equal(problems.length, 3, formatProblems(problems));
    assert.equal(problems[0]!.file, bad);
    assert.match(problems[0]!.message, /^YAML syntax error at line 3, column \d+: /);
    assert.equal(problems[1]!.file, duplicate);
    assert.match(
      problems[1]!.message,
      /^YAML syntax error at line 3, column 3: Map keys must be unique/,
    );
    assert.deepEqual(problems[2], {
      file: missing,
      path: '',
      message: 'cannot read the file: no such file',
    });
  });

  it('refuses a file that is not a mapping', () => {
    const file = write('list.yaml', '- a\n- b\n');
    assert.deepEqual(problemsOf([file]), [
      {
        file,
        path: '',
        message: 'the file must be a YAML mapping of section names (e.g. `http:`) to settings',
      },
    ]);
  });

  it('formats one line per problem', () => {
    const text = formatProblems([
      { file: 'a.yaml', path: 'http.public_base', message: 'must be an absolute http(s) URL' },
      { file: 'b.yaml', path: '', message: 'cannot read the file: no such file' },
    ]);
    assert.equal(
      text,
      'a.yaml: http.public_base: must be an absolute http(s) URL\nb.yaml: cannot read the file: no such file',
    );
  });
});
