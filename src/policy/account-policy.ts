// The registration and email policy (MAS: policies/register/register.rego and
// policies/email/email.rego, which MAS runs as compiled OPA; Gatehouse evaluates the same rules
// natively). Built once from `policy.data` and the homeserver name; each check returns the list
// of violations, each with a readable message for the form, empty when everything is allowed.
//
// policy.data keys read here (all optional):
//   registration.allowed_usernames / banned_usernames   string constraints (string-constraints.ts)
//   emails.allowed_addresses / banned_addresses         string constraints
//   allowed_domains / banned_domains                    domain globs (domain-glob.ts)
//   requester.banned_ips                                IPs and CIDRs (ip-list.ts)
//   requester.banned_user_agents                        string constraints
// An "allowed" list that is set allows only what it matches (set but empty allows nothing), as
// MAS's `not data.…allowed…` rules mean it.
//
// To add a rule: add its check to the matching method below and a unit test in test/policy/.

import { LOCALPART_PATTERN, MAX_USER_ID_LENGTH } from '../model/user.ts';
import { compileDomainGlob } from './domain-glob.ts';
import { parseIpList, type IpList } from './ip-list.ts';
import { PolicyDataError } from './policy-data-error.ts';
import {
  matchesStringConstraints,
  parseStringConstraints,
  type StringConstraints,
} from './string-constraints.ts';

/** Every code a violation of this policy can carry (pages map each one to a translated message). */
export const POLICY_VIOLATION_CODES = [
  'username-too-short',
  'username-too-long',
  'username-all-numeric',
  'username-invalid-chars',
  'username-banned',
  'username-not-allowed',
  'email-invalid',
  'email-domain-not-allowed',
  'email-domain-banned',
  'email-not-allowed',
  'email-banned',
  'requester-banned',
] as const;

export type PolicyViolationCode = (typeof POLICY_VIOLATION_CODES)[number];

export interface PolicyViolation {
  /** The form field the violation is about, or null for the whole request. */
  readonly field: 'username' | 'email' | null;
  /** Stable code (MAS's where it has one). */
  readonly code: PolicyViolationCode;
  /** One readable sentence for the user (English; pages translate from `code` and `vars`). */
  readonly message: string;
  /** The values the message names (`domain`, `user_id`, `max`), for translated messages. */
  readonly vars?: Readonly<Record<string, string | number>>;
}

/** Who is making the request: the client IP (after trusted proxies) and User-Agent. */
export interface Requester {
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}

export interface RegistrationInput {
  readonly username: string;
  /** Null when registration does not ask for an email. */
  readonly email: string | null;
  readonly requester: Requester;
}

/** A plausible address: one `@`, something on both sides, no spaces; at most 254 characters. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function objectAt(data: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = data[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new PolicyDataError(key, 'must be an object');
  }
  return value as Record<string, unknown>;
}

function domainList(value: unknown, path: string): RegExp[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new PolicyDataError(path, 'must be a list of domain patterns');
  return value.map((entry, index) => {
    if (typeof entry !== 'string')
      throw new PolicyDataError(`${path}[${index}]`, 'must be a string');
    return compileDomainGlob(entry, `${path}[${index}]`);
  });
}

export class AccountPolicy {
  readonly #serverName: string;
  readonly #allowedUsernames: StringConstraints | null;
  readonly #bannedUsernames: StringConstraints | null;
  readonly #allowedAddresses: StringConstraints | null;
  readonly #bannedAddresses: StringConstraints | null;
  readonly #allowedDomains: RegExp[] | null;
  readonly #bannedDomains: RegExp[] | null;
  readonly #bannedIps: IpList;
  readonly #bannedUserAgents: StringConstraints | null;

  /** Throws PolicyDataError when `data` holds something unusable (bad regex, CIDR, glob). */
  constructor(data: Record<string, unknown>, serverName: string) {
    this.#serverName = serverName;
    const registration = objectAt(data, 'registration');
    this.#allowedUsernames = parseStringConstraints(
      registration.allowed_usernames,
      'registration.allowed_usernames',
    );
    this.#bannedUsernames = parseStringConstraints(
      registration.banned_usernames,
      'registration.banned_usernames',
    );
    const emails = objectAt(data, 'emails');
    this.#allowedAddresses = parseStringConstraints(
      emails.allowed_addresses,
      'emails.allowed_addresses',
    );
    this.#bannedAddresses = parseStringConstraints(
      emails.banned_addresses,
      'emails.banned_addresses',
    );
    this.#allowedDomains = domainList(data.allowed_domains, 'allowed_domains');
    this.#bannedDomains = domainList(data.banned_domains, 'banned_domains');
    const requester = objectAt(data, 'requester');
    this.#bannedIps = parseIpList(requester.banned_ips, 'requester.banned_ips');
    this.#bannedUserAgents = parseStringConstraints(
      requester.banned_user_agents,
      'requester.banned_user_agents',
    );
  }

  /** The rules on a new username (the localpart). */
  usernameViolations(username: string): PolicyViolation[] {
    const out: PolicyViolation[] = [];
    const add = (
      code: PolicyViolationCode,
      message: string,
      vars?: Readonly<Record<string, string | number>>,
    ) => out.push({ field: 'username', code, message, ...(vars === undefined ? {} : { vars }) });
    if (username.length === 0) {
      add('username-too-short', 'Choose a username.');
      return out;
    }
    const userId = `@${username}:${this.#serverName}`;
    if (userId.length > MAX_USER_ID_LENGTH) {
      add(
        'username-too-long',
        `This username is too long: the full Matrix ID ${userId.length > 60 ? '' : `${userId} `}must be at most ${MAX_USER_ID_LENGTH} characters.`,
        // A long ID would swamp the sentence: it is named only when short.
        userId.length > 60
          ? { max: MAX_USER_ID_LENGTH }
          : { max: MAX_USER_ID_LENGTH, user_id: userId },
      );
    }
    if (/^[0-9]+$/.test(username)) {
      add(
        'username-all-numeric',
        'The username must contain at least one character that is not a digit.',
      );
    }
    if (!LOCALPART_PATTERN.test(username)) {
      add(
        'username-invalid-chars',
        'The username may contain only lower-case letters, digits and the characters . _ = / + -',
      );
    }
    if (matchesStringConstraints(username, this.#bannedUsernames)) {
      add('username-banned', 'This username is not available.');
    }
    if (
      this.#allowedUsernames !== null &&
      !matchesStringConstraints(username, this.#allowedUsernames)
    ) {
      add('username-not-allowed', 'This username is not allowed on this server.');
    }
    return out;
  }

  /** The rules on an email address (MAS `email/violation`): used at registration and when adding one. */
  emailViolations(email: string): PolicyViolation[] {
    const out: PolicyViolation[] = [];
    const add = (
      code: PolicyViolationCode,
      message: string,
      vars?: Readonly<Record<string, string | number>>,
    ) => out.push({ field: 'email', code, message, ...(vars === undefined ? {} : { vars }) });
    if (email.length > 254 || !EMAIL.test(email)) {
      add('email-invalid', 'Enter a valid email address, like name@example.com.');
      return out;
    }
    const domain = email.slice(email.indexOf('@') + 1);
    if (this.#allowedDomains !== null && !this.#allowedDomains.some((glob) => glob.test(domain))) {
      add('email-domain-not-allowed', `Email addresses at ${domain} are not accepted here.`, {
        domain,
      });
    }
    if (this.#bannedDomains?.some((glob) => glob.test(domain)) === true) {
      add('email-domain-banned', `Email addresses at ${domain} are not accepted here.`, {
        domain,
      });
    }
    if (
      this.#allowedAddresses !== null &&
      !matchesStringConstraints(email, this.#allowedAddresses)
    ) {
      add('email-not-allowed', 'This email address is not accepted here.');
    }
    if (matchesStringConstraints(email, this.#bannedAddresses)) {
      add('email-banned', 'This email address is not accepted here.');
    }
    return out;
  }

  /** Whether the requester's IP or User-Agent is banned (`requester.*`). */
  requesterViolations(requester: Requester): PolicyViolation[] {
    const banned =
      this.#bannedIps.has(requester.ipAddress) ||
      (requester.userAgent !== null &&
        matchesStringConstraints(requester.userAgent, this.#bannedUserAgents));
    if (!banned) return [];
    return [
      {
        field: null,
        code: 'requester-banned',
        message: 'Registration is not possible from your network or browser.',
      },
    ];
  }

  /** Every rule of MAS's `register/violation` for a password registration. */
  registrationViolations(input: RegistrationInput): PolicyViolation[] {
    return [
      ...this.usernameViolations(input.username),
      ...(input.email === null ? [] : this.emailViolations(input.email)),
      ...this.requesterViolations(input.requester),
    ];
  }
}
