// LIKE patterns built from user input, for queries written with `escape '\'`: the input's `%`,
// `_` and `\` are matched literally.

/** `text` as a pattern matching exactly itself. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A pattern matching `token` as a whole word of a space-padded, space-separated list. */
export function wordPattern(token: string): string {
  return `% ${likeLiteral(token)} %`;
}
