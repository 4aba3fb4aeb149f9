// The interactive side of `gatehouse manage register-user` (MAS asks the same questions): when a
// terminal is attached, whatever the flags left out is asked for — the username (until it is
// valid), the password (hidden, typed twice, checked for complexity; empty for none), email
// addresses (empty to finish), whether the user may request admin scopes — then the user is
// shown with the equivalent scripted command and created only once confirmed (`--yes` skips
// that). Without a terminal nothing is asked: the flags are all there is.
//
// Questions go to the terminal's output (stderr), so stdout keeps only the command's result.

import { Writable } from 'node:stream';
import { createInterface, type Interface } from 'node:readline/promises';
import type { RootConfig } from '../config/root.ts';
import { usernameProblem } from '../model/user.ts';
import { isPlausibleEmail } from '../model/user-email.ts';
import { checkPasswordComplexity, complexityMessage } from '../policy/password-complexity.ts';
import { CliError } from './context.ts';

/** What the flags gave; the prompts fill in the rest. */
export interface RegisterUserDraft {
  username?: string | undefined;
  password?: string | undefined;
  emails: string[];
  admin?: boolean | undefined;
  displayName?: string | undefined;
}

export interface RegisterUserChecks {
  /** Why a username cannot be used, or null. */
  usernameProblem(username: string): string | null;
  /** Why an address cannot be used, or null. */
  emailProblem(email: string): string | null;
  /** Why a password cannot be used (too weak), or null; not called when complexity is ignored. */
  passwordProblem(password: string, username: string): Promise<string | null>;
  /** Passwords are enabled: otherwise none is asked for. */
  readonly passwords: boolean;
}

/** A terminal to ask on: its keyboard and where the questions are written. */
export interface Terminal {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** A real terminal (raw mode, hidden echo); false for plain streams (tests). */
  readonly tty: boolean;
}

/** The process's terminal when stdin and stderr both are one; null when run from a script. */
export function processTerminal(
  stdin: NodeJS.ReadStream = process.stdin,
  stderr: NodeJS.WriteStream = process.stderr,
): Terminal | null {
  return stdin.isTTY === true && stderr.isTTY === true
    ? { input: stdin, output: stderr, tty: true }
    : null;
}

/** Passes writes through to `target` except while muted (what a hidden password echoes). */
class MutableOutput extends Writable {
  muted = false;
  readonly #target: NodeJS.WritableStream;
  constructor(target: NodeJS.WritableStream) {
    super();
    this.#target = target;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    if (!this.muted) this.#target.write(chunk);
    done();
  }
}

/** A shell word: left bare when safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The scripted command that registers the same user (the password masked). */
export function scriptedCommand(draft: RegisterUserDraft): string {
  const words = ['gatehouse', 'manage', 'register-user', shellWord(draft.username ?? '')];
  if (draft.password !== undefined) words.push('--password', "'********'");
  for (const email of draft.emails) words.push('--email', shellWord(email));
  if (draft.displayName !== undefined) words.push('--display-name', shellWord(draft.displayName));
  words.push(draft.admin === true ? '--admin' : '--no-admin', '--yes');
  return words.join(' ');
}

interface Asker {
  ask(question: string): Promise<string>;
  askHidden(question: string): Promise<string>;
  say(text: string): void;
  close(): void;
}

function asker(terminal: Terminal): Asker {
  const output = new MutableOutput(terminal.output);
  const rl: Interface = createInterface({ input: terminal.input, output, terminal: terminal.tty });
  // Ctrl-C or the end of input cancels whatever question is pending.
  const cancel = new AbortController();
  rl.on('SIGINT', () => cancel.abort());
  rl.on('close', () => cancel.abort());
  const ask = async (question: string): Promise<string> => {
    try {
      return await rl.question(question, { signal: cancel.signal });
    } catch (error) {
      if (cancel.signal.aborted) throw new CliError('cancelled: no user was registered');
      throw error;
    }
  };
  return {
    ask,
    async askHidden(question) {
      terminal.output.write(question);
      output.muted = true;
      try {
        return await ask('');
      } finally {
        output.muted = false;
        terminal.output.write('\n');
      }
    },
    say: (text) => void terminal.output.write(`${text}\n`),
    close: () => rl.close(),
  };
}

const yesOrNo = (answer: string, fallback: boolean): boolean | null => {
  const value = answer.trim().toLowerCase();
  if (value === '') return fallback;
  if (['y', 'yes'].includes(value)) return true;
  if (['n', 'no'].includes(value)) return false;
  return null;
};

async function confirm(io: Asker, question: string, fallback: boolean): Promise<boolean> {
  for (;;) {
    const answer = yesOrNo(await io.ask(`${question} ${fallback ? '[Y/n]' : '[y/N]'} `), fallback);
    if (answer !== null) return answer;
    io.say('Please answer y or n.');
  }
}

async function askPassword(
  io: Asker,
  checks: RegisterUserChecks,
  username: string,
  ignoreComplexity: boolean,
): Promise<string | undefined> {
  for (;;) {
    const password = await io.askHidden('Password (empty for none): ');
    if (password === '') return undefined;
    const problem = ignoreComplexity ? null : await checks.passwordProblem(password, username);
    if (problem !== null) {
      io.say(problem);
      continue;
    }
    if ((await io.askHidden('Repeat the password: ')) === password) return password;
    io.say('The passwords differ; again.');
  }
}

/**
 * Asks on `terminal` for what `draft` lacks, shows the result and asks for confirmation unless
 * `yes`; returns the completed draft. Throws CliError when the operator declines or cancels.
 */
export async function promptRegisterUser(
  terminal: Terminal,
  given: RegisterUserDraft,
  checks: RegisterUserChecks,
  options: { readonly yes: boolean; readonly ignorePasswordComplexity: boolean },
): Promise<RegisterUserDraft> {
  const io = asker(terminal);
  try {
    const draft: RegisterUserDraft = { ...given, emails: [...given.emails] };
    while (draft.username === undefined) {
      const username = (await io.ask('Username: ')).trim();
      const problem = checks.usernameProblem(username);
      if (problem === null) draft.username = username;
      else io.say(problem);
    }
    if (draft.password === undefined && checks.passwords) {
      draft.password = await askPassword(
        io,
        checks,
        draft.username,
        options.ignorePasswordComplexity,
      );
    }
    if (given.emails.length === 0) {
      for (;;) {
        const first = draft.emails.length === 0;
        const email = (
          await io.ask(
            first ? 'Email address (empty for none): ' : 'Another email (empty to finish): ',
          )
        ).trim();
        if (email === '') break;
        const problem = checks.emailProblem(email);
        if (problem === null) draft.emails.push(email);
        else io.say(problem);
      }
    }
    draft.admin ??= await confirm(io, 'May the user request admin scopes?', false);
    if (!options.yes) {
      io.say('');
      io.say(`Username:     ${draft.username}`);
      io.say(`Password:     ${draft.password === undefined ? 'none' : 'set'}`);
      io.say(`Emails:       ${draft.emails.length === 0 ? 'none' : draft.emails.join(', ')}`);
      if (draft.displayName !== undefined) io.say(`Display name: ${draft.displayName}`);
      io.say(`Admin:        ${draft.admin ? 'yes' : 'no'}`);
      io.say('');
      io.say(`The same without questions: ${scriptedCommand(draft)}`);
      if (!(await confirm(io, 'Register this user?', true))) {
        throw new CliError('cancelled: no user was registered');
      }
    }
    return draft;
  } finally {
    io.close();
  }
}

export function emailProblem(email: string): string | null {
  return isPlausibleEmail(email) ? null : `invalid email address "${email}"`;
}

/** The register-user flags this file reads and completes. */
export interface RegisterUserFlags {
  password?: string;
  email?: string[];
  admin?: boolean;
  displayName?: string;
  yes?: boolean;
  ignorePasswordComplexity?: boolean;
}

/**
 * The username and flags of `register-user`, completed on `terminal` when there is one (see the
 * top of this file); without one, checks that the username was given and the addresses are valid.
 */
export async function completeRegisterUser<F extends RegisterUserFlags>(
  terminal: Terminal | null,
  username: string | undefined,
  flags: F,
  checks: RegisterUserChecks,
): Promise<{ username: string; options: F }> {
  // What the flags got wrong is refused before any question.
  const problem = username === undefined ? null : checks.usernameProblem(username);
  if (problem !== null) throw new CliError(problem);
  for (const email of flags.email ?? []) {
    const problem = checks.emailProblem(email);
    if (problem !== null) throw new CliError(problem);
  }
  if (terminal === null) {
    if (username === undefined) {
      throw new CliError('a username is needed (or run the command in a terminal to be asked)');
    }
    return { username, options: flags };
  }
  const draft = await promptRegisterUser(
    terminal,
    {
      username,
      password: flags.password,
      emails: flags.email ?? [],
      admin: flags.admin,
      displayName: flags.displayName,
    },
    checks,
    { yes: flags.yes === true, ignorePasswordComplexity: flags.ignorePasswordComplexity === true },
  );
  const options: F = { ...flags, email: draft.emails, admin: draft.admin };
  if (draft.password === undefined) delete options.password;
  else options.password = draft.password;
  return { username: draft.username!, options };
}

/** The checks of `config`: its homeserver's usernames, its password complexity. */
export function registerUserChecks(config: RootConfig): RegisterUserChecks {
  return {
    usernameProblem: (username) => usernameProblem(username, config.matrix?.homeserver ?? null),
    emailProblem,
    async passwordProblem(password, username) {
      const result = await checkPasswordComplexity(password, config.passwords.minimum_complexity, [
        username,
      ]);
      return result.ok ? null : complexityMessage(result);
    },
    passwords: config.passwords.enabled,
  };
}
