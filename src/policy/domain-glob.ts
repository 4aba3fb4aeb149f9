// Domain patterns of `policy.data.allowed_domains` / `banned_domains`, matched as MAS does with
// Rego's `glob.match(pattern, ["."], domain)`: `.` separates labels, `*` matches within one label,
// `**` across labels, `?` one character of a label, `[abc]` / `[!abc]` / `[a-z]` a character
// class, `{a,b}` alternatives and `\` escapes the next character. The whole domain must match.

import { PolicyDataError } from './policy-data-error.ts';

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

function translate(pattern: string, path: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) throw new PolicyDataError(path, 'ends with a lone backslash');
      out += escapeRegex(next);
      i++;
    } else if (char === '*') {
      if (pattern[i + 1] === '*') {
        out += '.*';
        i++;
      } else {
        out += '[^.]*';
      }
    } else if (char === '?') {
      out += '[^.]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) throw new PolicyDataError(path, 'has an unclosed [');
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      const escaped = body.replace(/[\\\]^]/g, '\\$&');
      out += negate ? `[^.${escaped}]` : `[${escaped}]`;
      i = end;
    } else if (char === '{') {
      out += '(?:';
      depth++;
    } else if (char === '}' && depth > 0) {
      out += ')';
      depth--;
    } else if (char === ',' && depth > 0) {
      out += '|';
    } else {
      out += escapeRegex(char);
    }
  }
  if (depth !== 0) throw new PolicyDataError(path, 'has an unclosed {');
  return out;
}

/** Compiles one domain pattern; throws PolicyDataError (naming `path`) when it is malformed. */
export function compileDomainGlob(pattern: string, path: string): RegExp {
  return new RegExp(`^${translate(pattern, path)}$`, 'iu');
}
