// Server-rendered pages: a nunjucks environment over Gatehouse's built-in templates (the repository's
// `templates/` folder) with `templates.path` in front of it, so an operator overrides any template
// file by file by putting a file of the same name there. Autoescaping is on: everything a page
// shows from a request or the database is data in the context, never template source.
//
// Every page extends `base.html`, which shows the branding (`service_name`, policy, terms, imprint)
// from the globals set here. `reload()` (on SIGHUP) drops the compiled templates so edited files
// are read again.
//
// To add a page: write `templates/pages/<name>.html` extending `base.html`, add a sample context
// for it in ./template-samples.ts (the tests render every sample), and render it from its handler.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import type { BrandingConfig } from '../config/sections/branding.ts';
import type { Logger } from '../telemetry/logger.ts';
import { Translations, type LocaleHints } from './i18n.ts';

/** The templates shipped with Gatehouse. */
export const BUILTIN_TEMPLATES_PATH = fileURLToPath(new URL('../../templates/', import.meta.url));

/** A template is missing or failed to compile or render. The message names the template. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly template: string;
  constructor(template: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`template ${template}: ${reason.replace(/\s+/g, ' ').trim()}`, { cause });
    this.template = template;
  }
}

export interface TemplatesOptions {
  /** `templates.path`: a folder whose files override the built-in ones of the same name. */
  readonly path?: string | undefined;
  readonly branding: BrandingConfig;
  /** Shown when `branding.service_name` is not set (MAS shows the homeserver name). */
  readonly defaultServiceName?: string;
  readonly logger?: Logger;
  /** `templates.translations_path`: `<locale>.json` files adding languages (see ./i18n.ts). */
  readonly translationsPath?: string | undefined;
}

/** What every page can use besides its own context. */
export interface TemplateGlobals {
  readonly branding: {
    readonly service_name: string;
    readonly policy_uri: string | null;
    readonly tos_uri: string | null;
    readonly imprint: string | null;
  };
}

export class Templates {
  readonly #searchPaths: string[];
  readonly #globals: TemplateGlobals;
  readonly #translationsPath: string | undefined;
  #translations: Translations;
  #env: nunjucks.Environment;

  constructor(options: TemplatesOptions) {
    this.#searchPaths =
      options.path === undefined
        ? [BUILTIN_TEMPLATES_PATH]
        : [resolve(options.path), BUILTIN_TEMPLATES_PATH];
    if (options.path !== undefined && !existsSync(resolve(options.path))) {
      options.logger?.warn(
        { path: resolve(options.path) },
        'templates.path does not exist: using the built-in templates only',
      );
    }
    if (options.translationsPath !== undefined && !existsSync(resolve(options.translationsPath))) {
      options.logger?.warn(
        { path: resolve(options.translationsPath) },
        'templates.translations_path does not exist: using the built-in translations only',
      );
    }
    const branding = options.branding;
    this.#globals = {
      branding: {
        service_name: branding.service_name ?? options.defaultServiceName ?? 'Gatehouse',
        policy_uri: branding.policy_uri ?? null,
        tos_uri: branding.tos_uri ?? null,
        imprint: branding.imprint ?? null,
      },
    };
    this.#translationsPath = options.translationsPath;
    this.#translations = new Translations({ path: options.translationsPath });
    this.#env = this.#createEnvironment();
  }

  /** The loaded translations (languages, keys, lookups). */
  get translations(): Translations {
    return this.#translations;
  }

  #createEnvironment(): nunjucks.Environment {
    const loader = new nunjucks.FileSystemLoader(this.#searchPaths, { noCache: false });
    const env = new nunjucks.Environment(loader, {
      autoescape: true,
      throwOnUndefined: false,
      trimBlocks: true,
      lstripBlocks: true,
    });
    for (const [key, value] of Object.entries(this.#globals)) env.addGlobal(key, value);
    // `_("key", {vars})` (alias `t`, and the filter `"key" | t(vars)`): the message in the page's
    // language, which render() puts in the context as `lang`. Nunjucks calls these with the
    // render context as `this`. Messages come from the operator's files like templates do, so they
    // may hold markup (`<strong>{{ username }}</strong>`); the variables are data and are escaped.
    const translations = () => this.#translations;
    function translate(
      this: { ctx?: { lang?: unknown } } | undefined,
      key: unknown,
      vars?: unknown,
    ): nunjucks.runtime.SafeString {
      const lang = typeof this?.ctx?.lang === 'string' ? this.ctx.lang : 'en';
      const values: Record<string, string> = {};
      if (typeof vars === 'object' && vars !== null) {
        for (const [name, value] of Object.entries(vars)) {
          if (value === undefined || value === null) continue;
          values[name] =
            value instanceof nunjucks.runtime.SafeString
              ? value.toString()
              : escapeHtml(String(value));
        }
      }
      return new nunjucks.runtime.SafeString(translations().translate(lang, String(key), values));
    }
    env.addGlobal('_', translate);
    env.addGlobal('t', translate);
    env.addFilter('t', translate);
    return env;
  }

  /**
   * Renders `name` (e.g. `pages/login.html`) in the language chosen from `hints` (`ui_locales`,
   * then `Accept-Language`), unless the context sets `lang` itself. Throws TemplateError.
   */
  render(name: string, context: object = {}, hints: LocaleHints = {}): string {
    const given = (context as { lang?: unknown }).lang;
    const lang =
      typeof given === 'string' && given !== '' ? given : this.#translations.choose(hints);
    try {
      return this.#env.render(name, { ...context, lang });
    } catch (error) {
      throw new TemplateError(name, error);
    }
  }

  /** Compiles `name` without rendering it (finds syntax errors). Throws TemplateError. */
  compile(name: string): void {
    try {
      this.#env.getTemplate(name, true);
    } catch (error) {
      throw new TemplateError(name, error);
    }
  }

  /** Forgets compiled templates, so changed files are read again (SIGHUP). */
  reload(): void {
    this.#translations = new Translations({ path: this.#translationsPath });
    this.#env = this.#createEnvironment();
  }

  /** Names of the built-in templates (the ones an override may replace), sorted. */
  static builtinNames(): string[] {
    const names: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const full = join(dir, entry);
        if (statSync(full).isDirectory()) walk(full);
        else if (entry.endsWith('.html') || entry.endsWith('.txt')) {
          names.push(relative(BUILTIN_TEMPLATES_PATH, full).split(sep).join('/'));
        }
      }
    };
    walk(BUILTIN_TEMPLATES_PATH);
    return names.sort();
  }
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export function loadTemplates(options: TemplatesOptions): Templates {
  return new Templates(options);
}
