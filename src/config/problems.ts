// Turns zod issues into one-line problems an operator can act on: "unknown key `pubic_base` (did you
// mean `public_base`?)", "expected an integer, got "8080"", "expected one of ...". Where a union
// (e.g. the forms of an HTTP bind) failed, the form that fits the value best is the one explained.

import type { z } from 'zod';

export type PathSegment = string | number;

export interface DescribedIssue {
  /** Full path from the document root. */
  path: PathSegment[];
  message: string;
}

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/** Describes one issue (maybe as several problems: one per unknown key). */
export function describeIssue(
  issue: Issue,
  root: unknown,
  rootSchema: AnySchema,
): DescribedIssue[] {
  return describe(issue, [], root, rootSchema);
}

function describe(
  issue: Issue,
  base: PathSegment[],
  root: unknown,
  schema: AnySchema,
): DescribedIssue[] {
  const path = [...base, ...(issue.path as PathSegment[])];
  const value = valueAt(root, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const node = unwrap(schemaAt(schema, issue.path as PathSegment[], valueAt(root, base)));
      if (node !== undefined && defType(node) === 'union') {
        return explainUnion(node, path, root, issue.message);
      }
      const known =
        node !== undefined && defType(node) === 'object' ? Object.keys(shapeOf(node)) : [];
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: unknownKeyMessage(key, known),
      }));
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined || issue.errors.length === 0) {
        if (value === undefined) return [{ path, message: 'missing required key' }];
        const options = (issue as { options?: unknown[] }).options;
        const message =
          isDefaultMessage(issue.message) && options
            ? `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}, got ${describeValue(value)}`
            : issue.message;
        return [{ path, message }];
      }
      const node = unwrap(schemaAt(schema, issue.path as PathSegment[], valueAt(root, base)));
      if (node !== undefined && defType(node) === 'union')
        return explainUnion(node, path, root, issue.message);
      return [
        {
          path,
          message: isDefaultMessage(issue.message)
            ? 'does not match any accepted form'
            : issue.message,
        },
      ];
    }
    case 'invalid_type': {
      if (value === undefined) return [{ path, message: 'missing required key' }];
      // YAML reads `yes`, `0123` or an all-digit key as a number or boolean: say how to keep a string.
      const hint =
        issue.expected === 'string' && typeof value !== 'object'
          ? ' (quote it to keep it a string)'
          : '';
      return [
        {
          path,
          message: `expected ${typeName(issue.expected)}, got ${describeValue(value)}${hint}`,
        },
      ];
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      const expected = values.length === 1 ? values[0] : `one of ${values.join(', ')}`;
      return [{ path, message: `expected ${expected}, got ${describeValue(value)}` }];
    }
    case 'too_small':
      return [
        {
          path,
          message: sizeMessage(issue.origin, 'min', Number(issue.minimum), issue.inclusive ?? true),
        },
      ];
    case 'too_big':
      return [
        {
          path,
          message: sizeMessage(issue.origin, 'max', Number(issue.maximum), issue.inclusive ?? true),
        },
      ];
    case 'invalid_format':
      return [
        {
          path,
          message: isDefaultMessage(issue.message)
            ? `must be a valid ${issue.format}`
            : issue.message,
        },
      ];
    default:
      return [{ path, message: issue.message }];
  }
}

/** Re-checks the value against each form of the union and explains the form it fits best. */
function explainUnion(
  union: AnySchema,
  path: PathSegment[],
  root: unknown,
  fallback: string,
): DescribedIssue[] {
  const value = valueAt(root, path);
  const options = (union._zod.def as unknown as { options: AnySchema[] }).options;
  let best: { option: AnySchema; issues: Issue[]; score: number } | undefined;
  for (const option of options) {
    const result = (option as unknown as z.ZodType).safeParse(value);
    if (result.success) return [];
    const issues = result.error.issues as Issue[];
    const score = issues.reduce((sum, i) => sum + issueWeight(i), 0);
    if (best === undefined || score < best.score) best = { option, issues, score };
  }
  const keys =
    value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
  const unknownAtTop = best?.issues
    .filter((i) => i.code === 'unrecognized_keys' && i.path.length === 0)
    .flatMap((i) => (i as { keys: string[] }).keys);
  if (best === undefined || keys.length === 0 || unknownAtTop?.length === keys.length) {
    if (!isDefaultMessage(fallback)) return [{ path, message: fallback }];
    const forms = options
      .map((o) => unwrap(o))
      .filter((o): o is AnySchema => o !== undefined && defType(o) === 'object')
      .map((o) => Object.keys(shapeOf(o)).join(' + '));
    const message =
      forms.length > 0
        ? `does not match any accepted form (${forms.join(' | ')})`
        : 'does not match any accepted form';
    return [{ path, message }];
  }
  const option = best.option;
  return best.issues.flatMap((issue) => describe(issue, path, root, option));
}

function issueWeight(issue: Issue): number {
  if (issue.code === 'unrecognized_keys' && issue.path.length === 0) return 100 * issue.keys.length;
  if (issue.code === 'invalid_type' && issue.path.length === 1) return 10;
  return 1;
}

function isDefaultMessage(message: string): boolean {
  return /^(Invalid|Too |Unrecognized)/.test(message);
}

function unknownKeyMessage(key: string, known: string[]): string {
  const close = known
    .map((candidate) => ({
      candidate,
      distance: editDistance(key.toLowerCase(), candidate.toLowerCase()),
    }))
    .filter(({ candidate, distance }) => distance <= Math.max(1, Math.floor(candidate.length / 4)))
    .sort((a, b) => a.distance - b.distance)[0];
  if (close) return `unknown key \`${key}\` (did you mean \`${close.candidate}\`?)`;
  if (known.length === 1) return `unknown key \`${key}\`; the only key here is \`${known[0]}\``;
  if (known.length > 0 && known.length <= 15)
    return `unknown key \`${key}\`; expected one of ${known.join(', ')}`;
  return `unknown key \`${key}\``;
}

function sizeMessage(
  origin: string,
  bound: 'min' | 'max',
  limit: number,
  inclusive: boolean,
): string {
  if (origin === 'string') {
    if (bound === 'min' && limit === 1) return 'must not be empty';
    return bound === 'min'
      ? `must be at least ${limit} characters long`
      : `must be at most ${limit} characters long`;
  }
  if (origin === 'array' || origin === 'set') {
    return bound === 'min'
      ? `needs at least ${limit} item${limit === 1 ? '' : 's'}`
      : `takes at most ${limit} items`;
  }
  if (bound === 'min')
    return inclusive ? `must be at least ${limit}` : `must be greater than ${limit}`;
  return inclusive ? `must be at most ${limit}` : `must be less than ${limit}`;
}

function typeName(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    default:
      return expected;
  }
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  return String(value);
}

/** The value at a path of the raw document, or undefined. */
export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Object.hasOwn(node, segment)
      ? (node as Record<PathSegment, unknown>)[segment]
      : undefined;
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Walking zod schemas (zod 4 keeps each schema's definition in `_zod.def`)

function defType(schema: AnySchema): string {
  return schema._zod.def.type;
}

function shapeOf(schema: AnySchema): Record<string, AnySchema> {
  return (schema._zod.def as unknown as { shape: Record<string, AnySchema> }).shape;
}

/** Strips wrappers that do not change the shape: optional, nullable, default, prefault, pipe input. */
function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
  let node = schema;
  while (node !== undefined) {
    const def = node._zod.def as unknown as { type: string; innerType?: AnySchema; in?: AnySchema };
    if (def.innerType !== undefined) node = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) node = def.in;
    else return node;
  }
  return node;
}

/** The schema that validates the value at `path` (relative to `schema`), given that value's parent data. */
function schemaAt(
  schema: AnySchema,
  path: readonly PathSegment[],
  data: unknown,
): AnySchema | undefined {
  let node: AnySchema | undefined = schema;
  let value = data;
  for (const segment of path) {
    node = unwrap(node);
    if (node === undefined) return undefined;
    let def = node._zod.def as unknown as SchemaDef;
    if (def.type === 'union' && def.options) {
      // Follow the form the data fits, else the first one.
      const options = def.options;
      node = unwrap(
        options.find((o) => (o as unknown as z.ZodType).safeParse(value).success) ?? options[0],
      );
      if (node === undefined) return undefined;
      def = node._zod.def as unknown as SchemaDef;
    }
    if (def.type === 'object' && def.shape) node = def.shape[String(segment)];
    else if (def.type === 'array') node = def.element;
    else if (def.type === 'record') node = def.valueType;
    else return undefined;
    value = valueAt(value, [segment]);
  }
  return node;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: AnySchema[];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
