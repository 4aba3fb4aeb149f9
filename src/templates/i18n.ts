// Translations of the server-rendered pages and emails: English is built in
// (`translations/en.json` at the repository root); `templates.translations_path` adds more
// languages (or overrides English strings) with one `<locale>.json` file per language, e.g.
// `fr.json`, `pt-BR.json`.
//
// A file is a JSON object whose keys nest (as MAS's translation files do): `{"login": {"title":
// "Sign in"}}` defines `login.title`. Keys starting with `@` are notes for translators and are
// ignored. A value is a string, with `{{name}}` replaced by the variable `name`, or a plural
// object (`{"one": "…", "other": "…"}`, chosen by the `count` variable). A key missing in the
// chosen language falls back to its base language (`pt-BR` → `pt`), then to English, then shows
// the key itself (so a missing translation is visible, never an error).
//
// Which language: the request's `ui_locales` (OpenID Connect, space-separated, by preference),
// then the browser's `Accept-Language`, then English.
//
// To add a language: drop `<locale>.json` into `templates.translations_path` (only the keys you
// translate are needed). To add a string: add its key to translations/en.json and use
// `{{ _("section.key", {name: value}) }}` in the template.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The translations shipped with Gatehouse (English). */
export const BUILTIN_TRANSLATIONS_PATH = fileURLToPath(
  new URL('../../translations/', import.meta.url),
);

export const DEFAULT_LOCALE = 'en';

type Message = string | Readonly<Record<string, string>>;

/** A translation file could not be read or has the wrong shape. Names the file. */
export class TranslationError extends Error {
  override readonly name = 'TranslationError';
}

const LOCALE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;

/** `fr_FR` / `FR-fr` → `fr-fr`: locales compare case-insensitively, with `-`. */
function normalizeLocale(locale: string): string {
  return locale.trim().replace(/_/g, '-').toLowerCase();
}

/** Flattens a nested translation object into `a.b.c` keys, checking every value. */
function flatten(value: unknown, prefix: string, into: Map<string, Message>, file: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TranslationError(`${file}: ${prefix || 'the file'} must be an object`);
  }
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (key.startsWith('@')) continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof child === 'string') {
      into.set(path, child);
    } else if (isPlural(child)) {
      into.set(path, child);
    } else if (typeof child === 'object' && child !== null && !Array.isArray(child)) {
      flatten(child, path, into, file);
    } else {
      throw new TranslationError(`${file}: ${path} must be a string or an object`);
    }
  }
}

const PLURAL_FORMS = new Set(['zero', 'one', 'two', 'few', 'many', 'other']);

function isPlural(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value).filter(([k]) => !k.startsWith('@'));
  return (
    entries.length > 0 &&
    'other' in value &&
    entries.every(([k, v]) => PLURAL_FORMS.has(k) && typeof v === 'string')
  );
}

function readCatalog(file: string): Map<string, Message> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TranslationError(`${file}: ${(error as Error).message}`);
  }
  const catalog = new Map<string, Message>();
  flatten(parsed, '', catalog, file);
  return catalog;
}

/** `<locale>.json` files of a folder, by normalized locale. */
function readFolder(folder: string): Map<string, Map<string, Message>> {
  const catalogs = new Map<string, Map<string, Message>>();
  for (const entry of readdirSync(folder).sort()) {
    if (!entry.endsWith('.json')) continue;
    const locale = entry.slice(0, -'.json'.length);
    if (!LOCALE.test(locale)) continue;
    catalogs.set(normalizeLocale(locale), readCatalog(join(folder, entry)));
  }
  return catalogs;
}

/** Replaces `{{ name }}` with `vars.name` (left as is when there is no such variable). */
function interpolate(text: string, vars: Readonly<Record<string, unknown>>): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (whole, name: string) =>
    Object.hasOwn(vars, name) && vars[name] !== undefined && vars[name] !== null
      ? String(vars[name])
      : whole,
  );
}

export interface LocaleHints {
  /** OpenID Connect `ui_locales`: space-separated language tags, most preferred first. */
  readonly uiLocales?: string | null | undefined;
  /** The `Accept-Language` request header. */
  readonly acceptLanguage?: string | null | undefined;
}

/** Language tags of an `Accept-Language` header, most preferred first (`*` and q=0 dropped). */
export function parseAcceptLanguage(header: string): string[] {
  const ranked: { tag: string; q: number; order: number }[] = [];
  header.split(',').forEach((part, order) => {
    const [tag = '', ...params] = part.split(';').map((s) => s.trim());
    if (tag === '' || tag === '*' || !LOCALE.test(tag)) return;
    let q = 1;
    for (const param of params) {
      const match = /^q=([0-9.]+)$/i.exec(param);
      if (match) q = Number(match[1]);
    }
    if (Number.isFinite(q) && q > 0) ranked.push({ tag, q, order });
  });
  return ranked.sort((a, b) => b.q - a.q || a.order - b.order).map((r) => r.tag);
}

export class Translations {
  readonly #catalogs: Map<string, Map<string, Message>>;

  /** `path`: `templates.translations_path`, whose files add languages or override English. */
  constructor(options: { path?: string | undefined } = {}) {
    this.#catalogs = readFolder(BUILTIN_TRANSLATIONS_PATH);
    if (options.path !== undefined && existsSync(options.path)) {
      for (const [locale, catalog] of readFolder(options.path)) {
        const builtIn = this.#catalogs.get(locale);
        this.#catalogs.set(locale, builtIn ? new Map([...builtIn, ...catalog]) : catalog);
      }
    }
  }

  /** The languages there are translations for (normalized, e.g. `en`, `fr`, `pt-br`), sorted. */
  locales(): string[] {
    return [...this.#catalogs.keys()].sort();
  }

  /** The English keys (what a complete translation defines). */
  keys(): string[] {
    return [...(this.#catalogs.get(DEFAULT_LOCALE)?.keys() ?? [])].sort();
  }

  /** The first available language of `tag` itself or its base language, else null. */
  #match(tag: string): string | null {
    const wanted = normalizeLocale(tag);
    if (this.#catalogs.has(wanted)) return wanted;
    const base = wanted.split('-')[0]!;
    return this.#catalogs.has(base) ? base : null;
  }

  /** The language to show: `ui_locales` first, then `Accept-Language`, then English. */
  choose(hints: LocaleHints): string {
    const candidates = [
      ...(hints.uiLocales ?? '')
        .split(/\s+/)
        .map((t) => t.replace(/_/g, '-'))
        .filter((t) => LOCALE.test(t)),
      ...parseAcceptLanguage(hints.acceptLanguage ?? ''),
    ];
    for (const tag of candidates) {
      const match = this.#match(tag);
      if (match !== null) return match;
    }
    return DEFAULT_LOCALE;
  }

  /** The message `key` in `locale` (falling back to its base language, then English). */
  translate(locale: string, key: string, vars: Readonly<Record<string, unknown>> = {}): string {
    const normalized = normalizeLocale(locale);
    const chain = [normalized, normalized.split('-')[0]!, DEFAULT_LOCALE];
    for (const candidate of chain) {
      const message = this.#catalogs.get(candidate)?.get(key);
      if (message === undefined) continue;
      if (typeof message === 'string') return interpolate(message, vars);
      const count = Number(vars.count);
      const form = new Intl.PluralRules(candidate).select(Number.isFinite(count) ? count : 0);
      return interpolate(message[form] ?? message.other!, vars);
    }
    return key;
  }
}
