// Password strength (MAS: crates/handlers/src/passwords.rs): the zxcvbn score (0–4) must reach
// `passwords.minimum_complexity` (default 3). Used when a password is chosen: registration,
// password change, recovery and the admin "set password" paths (the CLI can skip it with
// `--ignore-complexity`). The answer carries zxcvbn's warning and suggestions, in English, for the
// form to show.
//
// The dictionaries load once, on first use (they take a few MB and tens of milliseconds).

import type { ZxcvbnFactory, ZxcvbnResult } from '@zxcvbn-ts/core';

export interface ComplexityResult {
  readonly ok: boolean;
  /** zxcvbn's score, 0 (guessable) to 4 (very hard to guess). */
  readonly score: number;
  /** One sentence for the user when not ok, else null. */
  readonly reason: string | null;
  /** zxcvbn's suggestions, in English; empty when ok. */
  readonly suggestions: readonly string[];
  /**
   * zxcvbn's names of the warning (e.g. `topTen`, null when there is none) and of the
   * suggestions (e.g. `addAnotherWord`), for pages that show them in the reader's language.
   */
  readonly warningCode: string | null;
  /** One per suggestion, in order; null for a suggestion zxcvbn has no name for. */
  readonly suggestionCodes: readonly (string | null)[];
}

/** zxcvbn's cost grows with length; the score cannot drop beyond this many characters anyway. */
const MAX_CHECKED_LENGTH = 100;

let factory: Promise<ZxcvbnFactory> | null = null;
/** English text → zxcvbn's name of it, for warnings and suggestions (zxcvbn answers in text). */
let codes: { warnings: Map<string, string>; suggestions: Map<string, string> } | null = null;

const byText = (entries: Record<string, string>): Map<string, string> =>
  new Map(Object.entries(entries).map(([code, text]) => [text, code]));

/**
 * zxcvbn and its dictionaries (tens of MB in memory) are loaded on the first check, not at
 * start-up: a server whose users never choose passwords here never pays for them.
 */
function zxcvbn(): Promise<ZxcvbnFactory> {
  factory ??= (async () => {
    const [{ ZxcvbnFactory }, common, english] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    codes = {
      warnings: byText(english.translations.warnings),
      suggestions: byText(english.translations.suggestions),
    };
    return new ZxcvbnFactory({
      translations: english.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...english.dictionary },
    });
  })();
  return factory;
}

/**
 * Scores `password` against `minimum` (0–4). `userInputs` are words the password should not be
 * built from (the username, the email address, the service name).
 */
export async function checkPasswordComplexity(
  password: string,
  minimum: number,
  userInputs: readonly string[] = [],
): Promise<ComplexityResult> {
  const result: ZxcvbnResult = (await zxcvbn()).check(
    password.slice(0, MAX_CHECKED_LENGTH),
    userInputs.filter((input) => input !== ''),
  );
  if (result.score >= minimum) {
    return {
      ok: true,
      score: result.score,
      reason: null,
      suggestions: [],
      warningCode: null,
      suggestionCodes: [],
    };
  }
  const warning = result.feedback.warning;
  return {
    ok: false,
    score: result.score,
    reason:
      warning !== null && warning !== ''
        ? `This password is too weak: ${warning.charAt(0).toLowerCase()}${warning.slice(1).replace(/\.$/, '')}.`
        : 'This password is too weak: it would be easy to guess.',
    suggestions: result.feedback.suggestions,
    warningCode: warning === null || warning === '' ? null : (codes?.warnings.get(warning) ?? null),
    suggestionCodes: result.feedback.suggestions.map(
      (text) => codes?.suggestions.get(text) ?? null,
    ),
  };
}

/** One line for a command-line refusal: the reason and the suggestions. */
export function complexityMessage(result: ComplexityResult): string {
  return [result.reason ?? '', ...result.suggestions].filter((part) => part !== '').join(' ');
}
