// Finding, reading, merging and validating the configuration files, MAS's way: `-c` (repeatable),
// else $GATEHOUSE_CONFIG, else $MAS_CONFIG (both colon-separated), else ./config.yaml; later files
// win, arrays concatenate (figment's `admerge`). Every problem of every file is reported at once,
// each with the file that set the value and its YAML path.
//
// This is the one module allowed to look at the environment, and even here it is a parameter.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { describeIssue, type PathSegment } from './problems.ts';
import { rootSchema, type RootConfig } from './root.ts';

export interface ConfigProblem {
  /** The file that set the offending value (or, for a missing key, the file holding its parent). */
  file: string;
  /** YAML path such as `http.listeners[0].binds[1].port`; empty for problems of a whole file. */
  path: string;
  /** One line, for the operator. */
  message: string;
}

export type LoadResult =
  | {
      ok: true;
      config: RootConfig;
      files: string[];
      /** The merged document before validation and defaults. */
      merged: Record<string, unknown>;
      /** The file that set the value at a YAML path (for problems found after loading). */
      fileOf(path: string): string;
    }
  | { ok: false; problems: ConfigProblem[]; files: string[] };

export interface ConfigPathsInput {
  /** Values of `-c/--config`, in order. */
  cliPaths?: readonly string[] | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** The files to load, as absolute paths, by MAS's precedence. */
export function configPaths({ cliPaths, env, cwd }: ConfigPathsInput): string[] {
  const fromEnv = (name: string) => (env[name] ?? '').split(':').filter((p) => p !== '');
  let paths: readonly string[] = cliPaths ?? [];
  if (paths.length === 0) paths = fromEnv('GATEHOUSE_CONFIG');
  if (paths.length === 0) paths = fromEnv('MAS_CONFIG');
  if (paths.length === 0) paths = ['config.yaml'];
  return paths.map((p) => resolve(cwd, p));
}

/** Reads, merges and validates `paths`; returns the configuration or every problem found. */
export function loadConfig(paths: readonly string[]): LoadResult {
  const files = [...paths];
  const { documents, problems } = readDocuments(files);
  if (problems.length > 0) return { ok: false, problems, files };

  const { value: merged, fileOf } = mergeDocuments(documents);
  const lastFile = files.at(-1) ?? 'config.yaml';
  const parsed = rootSchema.safeParse(merged);
  if (parsed.success) {
    return {
      ok: true,
      config: parsed.data,
      files,
      merged,
      fileOf: (path) => fileOf(path) ?? lastFile,
    };
  }
  return {
    ok: false,
    problems: issuesToProblems(parsed.error.issues, merged, (p) => fileOf(p) ?? lastFile),
    files,
  };
}

/** One line per problem: `<file>: <path>: <message>`. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((p) => (p.path === '' ? `${p.file}: ${p.message}` : `${p.file}: ${p.path}: ${p.message}`))
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface ConfigDocument {
  file: string;
  value: Record<string, unknown>;
}

export function readDocuments(files: readonly string[]): {
  documents: ConfigDocument[];
  problems: ConfigProblem[];
} {
  const documents: ConfigDocument[] = [];
  const problems: ConfigProblem[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push({ file, path: '', message: `cannot read the file: ${fileErrorReason(error)}` });
      continue;
    }
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const where = error.linePos?.[0];
        const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        problems.push({
          file,
          path: '',
          message: where
            ? `YAML syntax error at line ${where.line}, column ${where.col}: ${message}`
            : `YAML syntax error: ${message}`,
        });
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      problems.push({
        file,
        path: '',
        message: `cannot read the YAML: ${error instanceof Error ? error.message : String(error)}`,
      });
      continue;
    }
    if (value === null || value === undefined) value = {};
    if (!isPlainObject(value)) {
      problems.push({
        file,
        path: '',
        message: 'the file must be a YAML mapping of section names (e.g. `http:`) to settings',
      });
      continue;
    }
    documents.push({ file, value });
  }
  return { documents, problems };
}

function fileErrorReason(error: unknown): string {
  switch ((error as { code?: unknown }).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

// ---------------------------------------------------------------------------------------------
// Merging (figment `admerge`: objects merge, arrays concatenate, anything else is replaced)

export interface MergedDocuments {
  value: Record<string, unknown>;
  /** The last file that holds the path, or the nearest ancestor's; undefined at the root. */
  fileOf(path: string | readonly PathSegment[]): string | undefined;
}

export function mergeDocuments(documents: readonly ConfigDocument[]): MergedDocuments {
  const origins = new Map<string, string>();
  let value: Record<string, unknown> = {};
  for (const doc of documents) {
    value = mergeValue(value, doc.value, [], doc.file, origins) as Record<string, unknown>;
  }
  return {
    value,
    fileOf(path) {
      let key = typeof path === 'string' ? path : formatPath(path);
      for (;;) {
        const file = origins.get(key);
        if (file !== undefined) return file;
        if (key === '') return undefined;
        key = parentOf(key);
      }
    },
  };
}

function mergeValue(
  target: unknown,
  source: unknown,
  path: PathSegment[],
  file: string,
  origins: Map<string, string>,
): unknown {
  if (isPlainObject(target) && isPlainObject(source)) {
    origins.set(formatPath(path), file);
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(target)) defineKey(out, key, child);
    for (const [key, child] of Object.entries(source)) {
      const merged = Object.hasOwn(target, key)
        ? mergeValue(target[key], child, [...path, key], file, origins)
        : record(child, [...path, key], file, origins);
      defineKey(out, key, merged);
    }
    return out;
  }
  if (Array.isArray(target) && Array.isArray(source)) {
    origins.set(formatPath(path), file);
    return [
      ...target,
      ...source.map((child, i) => record(child, [...path, target.length + i], file, origins)),
    ];
  }
  const prefix = formatPath(path);
  for (const key of [...origins.keys()]) {
    if (
      key.startsWith(prefix) &&
      key !== prefix &&
      (prefix === '' || /^[.[]/.test(key.slice(prefix.length)))
    ) {
      origins.delete(key);
    }
  }
  return record(source, path, file, origins);
}

/** Notes `file` as the origin of `value` and everything inside it. */
function record(
  value: unknown,
  path: PathSegment[],
  file: string,
  origins: Map<string, string>,
): unknown {
  origins.set(formatPath(path), file);
  if (Array.isArray(value)) value.forEach((child, i) => record(child, [...path, i], file, origins));
  else if (isPlainObject(value))
    for (const [key, child] of Object.entries(value)) record(child, [...path, key], file, origins);
  return value;
}

/** Sets a key without invoking setters (a YAML key may be `__proto__`). */
function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------------------------------------
// Paths

/** `["http", "listeners", 0, "binds", 1, "port"]` → `http.listeners[0].binds[1].port`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function parentOf(path: string): string {
  const match = /(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])$/.exec(path);
  if (match) return path.slice(0, match.index);
  return '';
}

// ---------------------------------------------------------------------------------------------
// Validation problems

function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  merged: unknown,
  fileOf: (path: readonly PathSegment[]) => string,
): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    for (const described of describeIssue(issue, merged, rootSchema)) {
      const path = formatPath(described.path);
      const key = `${path}\n${described.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push({ file: fileOf(described.path), path, message: described.message });
    }
  }
  return problems;
}
