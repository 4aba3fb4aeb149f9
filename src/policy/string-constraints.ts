// String constraints of the policy data (MAS `common.matches_string_constraints`): an object with
// any of `literals`, `substrings`, `regexes`, `prefixes`, `suffixes`, each a list of strings. A
// value matches when ANY entry of ANY list matches; an absent or empty list matches nothing.
// Regexes are unanchored searches, as Rego's `regex.match` (RE2) is; a leading `(?i)` (RE2's
// case-insensitive flag, which JavaScript spells as a flag) is accepted.

import { PolicyDataError } from './policy-data-error.ts';

export interface StringConstraints {
  readonly literals: readonly string[];
  readonly substrings: readonly string[];
  readonly regexes: readonly RegExp[];
  readonly prefixes: readonly string[];
  readonly suffixes: readonly string[];
}

const KEYS = ['literals', 'substrings', 'regexes', 'prefixes', 'suffixes'] as const;

function stringList(value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new PolicyDataError(path, 'must be a list of strings');
  }
  return value as string[];
}

/** A regex of the policy data, compiled as JavaScript understands it. */
export function compilePolicyRegex(source: string, path: string): RegExp {
  let pattern = source;
  let flags = 'u';
  if (pattern.startsWith('(?i)')) {
    pattern = pattern.slice(4);
    flags += 'i';
  }
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    throw new PolicyDataError(
      path,
      `is not a valid regular expression: ${(error as Error).message}`,
    );
  }
}

/**
 * Parses the constraints object at `path` of the policy data. Absent (`undefined`) gives null:
 * callers distinguish "not configured" from "configured but empty" as MAS does (an empty
 * `allowed_usernames: {}` allows nobody).
 */
export function parseStringConstraints(value: unknown, path: string): StringConstraints | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new PolicyDataError(path, `must be an object with any of ${KEYS.join(', ')}`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new PolicyDataError(`${path}.${key}`, `is not one of ${KEYS.join(', ')}`);
    }
  }
  return {
    literals: stringList(record.literals, `${path}.literals`),
    substrings: stringList(record.substrings, `${path}.substrings`),
    regexes: stringList(record.regexes, `${path}.regexes`).map((source, index) =>
      compilePolicyRegex(source, `${path}.regexes[${index}]`),
    ),
    prefixes: stringList(record.prefixes, `${path}.prefixes`),
    suffixes: stringList(record.suffixes, `${path}.suffixes`),
  };
}

/** True when `value` matches any entry of `constraints`; null constraints match nothing. */
export function matchesStringConstraints(
  value: string,
  constraints: StringConstraints | null,
): boolean {
  if (constraints === null) return false;
  return (
    constraints.literals.includes(value) ||
    constraints.substrings.some((part) => value.includes(part)) ||
    constraints.regexes.some((regex) => regex.test(value)) ||
    constraints.prefixes.some((prefix) => value.startsWith(prefix)) ||
    constraints.suffixes.some((suffix) => value.endsWith(suffix))
  );
}
