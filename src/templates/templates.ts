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
    const branding = options.branding;
    this.#globals = {
      branding: {
        service_name: branding.service_name ?? options.defaultServiceName ?? 'Gatehouse',
        policy_uri: branding.policy_uri ?? null,
        tos_uri: branding.tos_uri ?? null,
        imprint: branding.imprint ?? null,
      },
    };
    this.#env = this.#createEnvironment();
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
    return env;
  }

  /** Renders `name` (e.g. `pages/login.html`). Throws TemplateError. */
  render(name: string, context: object = {}): string {
    try {
      return this.#env.render(name, context);
    } catch (error) {
      throw new TemplateError(name, error);
    }
  }

  /** Forgets compiled templates, so changed files are read again (SIGHUP). */
  reload(): void {
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

export function loadTemplates(options: TemplatesOptions): Templates {
  return new Templates(options);
}
