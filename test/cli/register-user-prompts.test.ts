// `gatehouse manage register-user` in a terminal: the prompts for what the flags left out (asked
// again until valid; the password hidden, typed twice, checked for complexity), the summary with
// the equivalent scripted command, confirmation and cancelling; the whole command with a
// conversation on plain streams writing a real SQLite database; and, under a real pseudo-terminal
// (util-linux `script`), that the password typed is not echoed. Without a terminal nothing is asked.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CliError } from '../../src/cli/context.ts';
import { registerManageCommands } from '../../src/cli/manage.ts';
import {
  completeRegisterUser,
  promptRegisterUser,
  scriptedCommand,
  type RegisterUserChecks,
  type Terminal,
} from '../../src/cli/register-user-prompts.ts';
import { MockClock } from '../../src/clock.ts';
import { SeededRng } from '../../src/rng.ts';
import { openManageFixture, runCli } from '../helpers/cli.ts';
import type { TestStorage } from '../helpers/storage.ts';

/**
 * A terminal played by the test: each time the transcript ends with the next expected prompt, the
 * matching answer is typed. `transcript` is everything written to the terminal.
 */
function conversation(script: readonly (readonly [RegExp, string])[]) {
  const input = new PassThrough();
  let transcript = '';
  let next = 0;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      transcript += chunk.toString();
      const step = script[next];
      if (step !== undefined && step[0].test(transcript)) {
        next += 1;
        setImmediate(() => input.write(`${step[1]}\n`));
      }
      done();
    },
  });
  const terminal: Terminal = { input, output, tty: false };
  return {
    terminal,
    transcript: () => transcript,
    answered: () => next,
    end: () => input.end(),
  };
}

const checks: RegisterUserChecks = {
  usernameProblem: (u) => (/^[a-z0-9._=-]+$/.test(u) ? null : `invalid username "${u}"`),
  emailProblem: (e) => (e.includes('@') ? null : `invalid email address "${e}"`),
  passwordProblem: async (p, u) =>
    p.length < 8 || p.includes(u) ? 'This password is too weak' : null,
  passwords: true,
};
const defaults = { yes: false, ignorePasswordComplexity: false };

describe('register-user prompts', () => {
  it('asks for everything missing, again until valid, then confirms', async () => {
    const talk = conversation([
      [/Username: $/, 'Alice!'],
      [/invalid username "Alice!"\nUsername: $/, 'alice'],
      [/Password \(empty for none\): $/, 'short'],
      [/too weak\nPassword \(empty for none\): $/, 'correct horse battery'],
      [/Repeat the password: $/, 'something else'],
      [/differ; again\.\nPassword \(empty for none\): $/, 'correct horse battery'],
      [/Repeat the password: $/, 'correct horse battery'],
      [/Email address \(empty for none\): $/, 'not-an-address'],
      [
        /invalid email address "not-an-address"\nAnother email|Email address \(empty for none\): $/,
        'alice@example.com',
      ],
      [/Another email \(empty to finish\): $/, 'al@example.org'],
      [/Another email \(empty to finish\): $/, ''],
      [/request admin scopes\? \[y\/N\] $/, 'maybe'],
      [/answer y or n\.\n.*\[y\/N\] $/, 'y'],
      [/Register this user\? \[Y\/n\] $/, ''],
    ]);
    const draft = await promptRegisterUser(talk.terminal, { emails: [] }, checks, defaults);
    assert.deepEqual(draft, {
      username: 'alice',
      password: 'correct horse battery',
      emails: ['alice@example.com', 'al@example.org'],
      admin: true,
    });
    assert.equal(talk.answered(), 14);
    const shown = talk.transcript();
    assert.match(
      shown,
      /Username: {5}alice\nPassword: {5}set\nEmails: {7}alice@example.com, al@example.org\nAdmin: {8}yes/,
    );
    assert.match(
      shown,
      /The same without questions: gatehouse manage register-user alice --password '\*{8}' --email alice@example.com --email al@example.org --admin --yes/,
    );
    assert.doesNotMatch(shown, /correct horse/, 'the password is never written');
  });

  it('asks only for what the flags left out, and nothing to confirm with --yes', async () => {
    const talk = conversation([[/Password \(empty for none\): $/, '']]);
    const draft = await promptRegisterUser(
      talk.terminal,
      { username: 'bob', emails: ['bob@example.com'], admin: false },
      checks,
      { ...defaults, yes: true },
    );
    assert.deepEqual(draft, {
      username: 'bob',
      password: undefined,
      emails: ['bob@example.com'],
      admin: false,
    });
    assert.equal(talk.transcript(), 'Password (empty for none): \n');
  });

  it('skips the password where passwords are off, and checks none when complexity is ignored', async () => {
    const off = conversation([]);
    const draft = await promptRegisterUser(
      off.terminal,
      { username: 'carol', emails: ['c@example.com'], admin: true },
      { ...checks, passwords: false },
      { ...defaults, yes: true },
    );
    assert.equal(draft.password, undefined);
    assert.equal(off.transcript(), '');
    const weak = conversation([
      [/Password \(empty for none\): $/, 'carol'],
      [/Repeat the password: $/, 'carol'],
    ]);
    const accepted = await promptRegisterUser(
      weak.terminal,
      { username: 'carol', emails: ['c@example.com'], admin: true },
      checks,
      { yes: true, ignorePasswordComplexity: true },
    );
    assert.equal(accepted.password, 'carol');
  });

  it('cancels when declined or when the input ends', async () => {
    const declined = conversation([[/Register this user\? \[Y\/n\] $/, 'n']]);
    await assert.rejects(
      promptRegisterUser(
        declined.terminal,
        { username: 'dave', password: 'x', emails: ['d@example.com'], admin: false },
        checks,
        defaults,
      ),
      (error: unknown) =>
        error instanceof CliError && error.message === 'cancelled: no user was registered',
    );
    const ended = conversation([]);
    const pending = promptRegisterUser(ended.terminal, { emails: [] }, checks, defaults);
    ended.end();
    await assert.rejects(pending, /cancelled: no user was registered/);
  });

  it('asks nothing without a terminal: the username must be given, addresses valid', async () => {
    await assert.rejects(
      completeRegisterUser(null, undefined, {}, checks),
      /a username is needed \(or run the command in a terminal to be asked\)/,
    );
    await assert.rejects(
      completeRegisterUser(null, 'erin', { email: ['nope'] }, checks),
      /invalid email address "nope"/,
    );
    await assert.rejects(completeRegisterUser(null, 'Erin!', {}, checks), /invalid username/);
    assert.deepEqual(await completeRegisterUser(null, 'erin', { admin: true }, checks), {
      username: 'erin',
      options: { admin: true },
    });
  });

  it('quotes odd values in the scripted command', () => {
    assert.equal(
      scriptedCommand({ username: 'x', emails: [], displayName: "O'Neil Smith", admin: false }),
      "gatehouse manage register-user x --display-name 'O'\\''Neil Smith' --no-admin --yes",
    );
  });
});

describe('manage register-user in a terminal', () => {
  let dir: string;
  let t: TestStorage;
  let config: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, t, config, cleanup } = await openManageFixture('sqlite'));
  });
  afterEach(() => cleanup());

  const run = (argv: string[], terminal: Terminal | null) =>
    runCli(
      ['-c', config, 'manage', 'register-user', ...argv],
      (program, ctx) => registerManageCommands(program, ctx, { terminal }),
      { cwd: dir, clock: new MockClock(), rng: new SeededRng(`register:${argv.join(' ')}`) },
    );

  it('registers the user answered for, with password, emails and admin rights', async () => {
    const talk = conversation([
      [/Username: $/, 'frank'],
      [/Password \(empty for none\): $/, 'Quiet-Harbour-Lantern-5521'],
      [/Repeat the password: $/, 'Quiet-Harbour-Lantern-5521'],
      [/Email address \(empty for none\): $/, 'frank@example.com'],
      [/Another email \(empty to finish\): $/, ''],
      [/\[y\/N\] $/, 'yes'],
      [/Register this user\? \[Y\/n\] $/, 'y'],
    ]);
    const result = await run([], talk.terminal);
    assert.equal(result.code, 0, result.err);
    assert.match(
      result.out,
      /registered user frank .* with admin rights, with a password, with frank@example\.com/,
    );
    await t.storage.transaction(async (repos) => {
      const user = await repos.users.findByUsername('frank');
      assert.ok(user);
      assert.equal(user.canRequestAdmin, true);
      assert.ok(await repos.userPasswords.active(user));
      assert.ok(await repos.userEmails.findForUser(user, 'frank@example.com'));
    });
  });

  it('registers from flags alone without a terminal, and refuses without a username', async () => {
    const scripted = await run(['grace', '-e', 'grace@example.com', '-A'], null);
    assert.equal(scripted.code, 0, scripted.err);
    const missing = await run(['-e', 'x@example.com'], null);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /a username is needed/);
    await t.storage.transaction(async (repos) => {
      const user = await repos.users.findByUsername('grace');
      assert.equal(user?.canRequestAdmin, false);
      assert.ok(await repos.userEmails.findForUser(user!, 'grace@example.com'));
    });
  });
});

/** Cursor movements and line clearing that readline writes to a terminal. */
const TERMINAL_CODES = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

describe('manage register-user under a real pseudo-terminal', () => {
  it('does not echo the password typed', { timeout: 60_000 }, async () => {
    const { dir, config, cleanup } = await openManageFixture('sqlite');
    try {
      const main = join(import.meta.dirname, '..', '..', 'bin', 'gatehouse.js');
      const command = [process.execPath, main, '-c', config, 'manage', 'register-user', 'heidi']
        .map((word) => `'${word}'`)
        .join(' ');
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        cwd: dir,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let screen = '';
      const answers: [RegExp, string][] = [
        [/Password \(empty for none\): $/, 'Amber-Meadow-Compass-8734'],
        [/Repeat the password: $/, 'Amber-Meadow-Compass-8734'],
        [/Email address \(empty for none\): $/, ''],
        [/\[y\/N\] $/, 'n'],
        [/Register this user\? \[Y\/n\] $/, 'y'],
      ];
      child.stdout.on('data', (chunk: Buffer) => {
        screen += chunk.toString();
        const plain = screen.replace(TERMINAL_CODES, '').trimEnd() + ' ';
        if (answers.length > 0 && answers[0]![0].test(plain)) {
          child.stdin.write(`${answers.shift()![1]}\r`);
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, screen);
      assert.equal(answers.length, 0, screen);
      assert.match(screen, /registered user heidi/);
      assert.doesNotMatch(screen, /Amber-Meadow/, 'the password is not echoed');
    } finally {
      await cleanup();
    }
  });
});
