// Jinja2-syntax templates of the upstream configuration (`claims_imports.*.template`,
// `additional_authorization_parameters`), compiled with a dedicated nunjucks environment: no
// loaders, no autoescaping (the output is data, not HTML), and the filters MAS offers.
//
// Templates come only from the operator's configuration; upstream claims are values in the
// context (`{ user: claims }`), never template source. nunjucks is not a sandbox, which is fine
// for operator-written text. `compileClaimTemplate` checks a template completely up front (syntax,
// unknown filters, tags that need a loader) so that `config check` and start-up refuse a bad one.
//
// Filters beyond nunjucks' own, or replacing it where nunjucks differs from Jinja2:
//   split(sep?, maxsplit?)  Python's str.split: no `sep` splits on runs of whitespace
//   from_json               parses a JSON string
//   b64decode / b64encode   standard or URL-safe base64, padding optional / standard with padding;
//                           decoded bytes that are not UTF-8 stay bytes (TemplateBytes)
//   tlvdecode               tag-length-value bytes to a mapping of tag → value
//   string                  text as it is rendered: null and undefined → '', lists and objects → JSON
//                           (MAS renders null as `none`: here null means "missing")
//   tojson(indent?)         JSON with sorted keys and <, >, &, ' escaped, as Jinja2's
// `lower` and `default` (alias `d`) are nunjucks' built-ins, which behave as Jinja2's: `default`
// replaces only an undefined value unless its second argument is true.
//
// Python string methods (`user.name.lower()`, which MAS accepts) do not exist here: use the
// filters (`user.name | lower`). Methods JavaScript shares with Python, such as `split`, work.
//
// To add a filter: write it below, add it to `FILTERS`, and give it a test in
// test/upstream/claim-template.test.ts.

import nunjucks from 'nunjucks';

/** The template does not compile: `message` is one line, with its line and column. */
export class ClaimTemplateError extends Error {
  override readonly name = 'ClaimTemplateError';
}

/** Rendering failed (a filter refused its input, such as `from_json` on text that is not JSON). */
export class ClaimTemplateRenderError extends Error {
  override readonly name = 'ClaimTemplateRenderError';
}

export interface ClaimTemplate {
  readonly source: string;
  /** The rendered text (untrimmed). Throws ClaimTemplateRenderError. */
  render(context: Readonly<Record<string, unknown>>): string;
}

function split(value: unknown, sep?: unknown, maxsplit?: unknown): string[] {
  const text = stringFilter(value);
  const limit = typeof maxsplit === 'number' && maxsplit >= 0 ? Math.floor(maxsplit) : -1;
  if (sep === undefined || sep === null) {
    // Runs of whitespace separate; leading and trailing whitespace gives no empty items.
    const parts: string[] = [];
    let rest = text.replace(/^\s+/, '');
    while (rest !== '') {
      if (limit >= 0 && parts.length === limit) {
        parts.push(rest.replace(/\s+$/, ''));
        break;
      }
      const match = /\s+/.exec(rest);
      if (match === null) {
        parts.push(rest);
        break;
      }
      parts.push(rest.slice(0, match.index));
      rest = rest.slice(match.index + match[0].length);
    }
    return parts;
  }
  const separator = stringFilter(sep);
  if (separator === '') throw new ClaimTemplateRenderError('split: empty separator');
  const all = text.split(separator);
  if (limit < 0 || all.length <= limit + 1) return all;
  return [...all.slice(0, limit), all.slice(limit).join(separator)];
}

function fromJson(value: unknown): unknown {
  if (value instanceof TemplateBytes) value = value.toString();
  if (typeof value !== 'string') throw new ClaimTemplateRenderError('from_json: not a string');
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new ClaimTemplateRenderError('from_json: not valid JSON');
  }
}

/**
 * Bytes that are not UTF-8 text (from `b64decode` or `tlvdecode`): they render as text with
 * replacement characters, as MAS renders bytes, and `tlvdecode` and `b64encode` take them whole.
 */
export class TemplateBytes {
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  toString(): string {
    return Buffer.from(this.bytes).toString('utf8');
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text when the bytes are, else TemplateBytes: filters and comparisons see plain strings. */
function textOrBytes(bytes: Uint8Array): string | TemplateBytes {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return new TemplateBytes(bytes);
  }
}

/** The bytes of a string (its UTF-8, exact for text that came from bytes) or of TemplateBytes. */
function bytesOf(value: unknown, filter: string): Uint8Array {
  if (value instanceof TemplateBytes) return value.bytes;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new ClaimTemplateRenderError(`${filter}: not a string`);
}

function b64decode(value: unknown): string | TemplateBytes {
  if (typeof value !== 'string') throw new ClaimTemplateRenderError('b64decode: not a string');
  const compact = value.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(compact) && !/^[A-Za-z0-9_-]*$/.test(compact)) {
    throw new ClaimTemplateRenderError('b64decode: not base64');
  }
  if (compact.length % 4 === 1) throw new ClaimTemplateRenderError('b64decode: not base64');
  return textOrBytes(Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

function b64encode(value: unknown): string {
  const bytes = value instanceof TemplateBytes ? value.bytes : Buffer.from(stringFilter(value));
  return Buffer.from(bytes).toString('base64');
}

/**
 * MAS's `tlvdecode`: tag-length-value bytes (one-byte tags and lengths) to a mapping of tag
 * number → value, e.g. `{{ (user.x | b64decode | tlvdecode)[10] }}`.
 */
function tlvdecode(value: unknown): Record<number, string | TemplateBytes> {
  const bytes = bytesOf(value, 'tlvdecode');
  const out: Record<number, string | TemplateBytes> = {};
  let at = 0;
  while (at < bytes.length) {
    const tag = bytes[at]!;
    const length = bytes[at + 1];
    if (length === undefined || at + 2 + length > bytes.length) {
      throw new ClaimTemplateRenderError('tlvdecode: truncated tag-length-value data');
    }
    out[tag] = textOrBytes(bytes.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return out;
}

function stringFilter(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof TemplateBytes) return value.toString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function tojson(value: unknown, indent?: unknown): string {
  const spaces = typeof indent === 'number' && indent > 0 ? Math.floor(indent) : undefined;
  const text = JSON.stringify(sortKeys(value ?? null), null, spaces) ?? 'null';
  return text
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/'/g, '\\u0027');
}

const FILTERS: Readonly<Record<string, (...args: never[]) => unknown>> = {
  split,
  from_json: fromJson,
  b64decode,
  b64encode,
  tlvdecode,
  string: stringFilter,
  tojson,
};

/** Tags that need a template loader, which claim templates do not have. */
const REFUSED_TAGS: Readonly<Record<string, string>> = {
  Include: 'include',
  Extends: 'extends',
  Import: 'import',
  FromImport: 'from … import',
};

let shared: nunjucks.Environment | undefined;
/**
 * The error a filter of ours threw during the current render: nunjucks wraps filter errors in its
 * own, dropping the original. Rendering is synchronous, so one slot is enough.
 */
let filterError: ClaimTemplateRenderError | undefined;

function environment(): nunjucks.Environment {
  if (shared !== undefined) return shared;
  const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false });
  for (const [name, filter] of Object.entries(FILTERS)) {
    env.addFilter(name, (...args: unknown[]) => {
      try {
        return (filter as (...a: unknown[]) => unknown)(...args);
      } catch (error) {
        if (error instanceof ClaimTemplateRenderError) filterError = error;
        throw error;
      }
    });
  }
  shared = env;
  return env;
}

/** The names of every filter a claim template may use. */
export function claimTemplateFilters(): string[] {
  // Read from the environment so nunjucks' built-ins count too.
  return Object.keys((environment() as unknown as { filters: Record<string, unknown> }).filters);
}

interface AstNode {
  typename: string;
  lineno?: number;
  colno?: number;
  fields?: string[];
  children?: AstNode[];
  name?: { value?: unknown };
  [key: string]: unknown;
}

function walk(node: unknown, visit: (node: AstNode) => void, seen = new Set<unknown>()): void {
  if (node === null || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  const n = node as AstNode;
  if (typeof n.typename === 'string') visit(n);
  for (const key of [...(n.fields ?? []), 'children']) {
    const child = n[key];
    if (Array.isArray(child)) for (const c of child) walk(c, visit, seen);
    else walk(child, visit, seen);
  }
}

function at(node: AstNode): string {
  return node.lineno === undefined
    ? ''
    : `line ${node.lineno + 1}, column ${(node.colno ?? 0) + 1}: `;
}

/** Compiles `source`; throws ClaimTemplateError naming what is wrong and where. */
export function compileClaimTemplate(source: string): ClaimTemplate {
  const env = environment();
  let ast: unknown;
  try {
    ast = (nunjucks as unknown as { parser: { parse(src: string): unknown } }).parser.parse(source);
  } catch (error) {
    throw new ClaimTemplateError(cleanNunjucksMessage(error));
  }
  const filters = new Set(claimTemplateFilters());
  const problems: string[] = [];
  walk(ast, (node) => {
    if (node.typename === 'Filter') {
      const name = node.name?.value;
      if (typeof name === 'string' && !filters.has(name)) {
        problems.push(`${at(node)}unknown filter \`${name}\``);
      }
    }
    const tag = REFUSED_TAGS[node.typename];
    if (tag !== undefined) problems.push(`${at(node)}\`${tag}\` is not available in this template`);
  });
  if (problems.length > 0) throw new ClaimTemplateError(problems[0]!);
  let template: nunjucks.Template;
  try {
    template = new nunjucks.Template(source, env, 'claim template', true);
  } catch (error) {
    throw new ClaimTemplateError(cleanNunjucksMessage(error));
  }
  return {
    source,
    render(context) {
      filterError = undefined;
      try {
        return template.render({ ...context });
      } catch (error) {
        const ours = filterError;
        filterError = undefined;
        if (ours !== undefined) throw ours;
        throw new ClaimTemplateRenderError(cleanNunjucksMessage(error), { cause: error });
      }
    },
  };
}

/**
 * nunjucks messages look like `(name) [Line 1, Column 8]\n  expected symbol, got variable-end`,
 * possibly wrapping an inner error's own message: one line, `line L, column C: what`.
 */
export function cleanNunjucksMessage(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  // The parser's errors carry their position as properties, the compiler's in the text.
  const { lineno, colno } = error as { lineno?: unknown; colno?: unknown };
  const inText = /\[Line (\d+), Column (\d+)\]/.exec(raw);
  const position =
    typeof lineno === 'number' && typeof colno === 'number'
      ? [lineno, colno]
      : inText === null
        ? null
        : [inText[1], inText[2]];
  const lines = raw
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^\(.*\)( \[Line \d+, Column \d+\])?$/.test(l));
  const what = (lines.at(-1) ?? raw).replace(/^[A-Za-z]*Error: /, '');
  return position === null ? what : `line ${position[0]}, column ${position[1]}: ${what}`;
}
