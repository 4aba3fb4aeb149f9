// `gatehouse templates …`: tools for operators who customise the pages and emails (MAS:
// `mas-cli templates`).
//
//   templates save DIR [--overwrite]     copy the built-in templates into DIR, to edit them there
//                                        and point `templates.path` at DIR
//   templates check DIR [--translations T]
//                                        render every template (DIR's files over the built-in
//                                        ones) with the sample contexts of
//                                        src/templates/template-samples.ts, in every language of T
//                                        (default: English only); exit 1 with one line per
//                                        failing template
//
// Neither command needs a configuration file or a database.

import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { templateSamples } from '../templates/template-samples.ts';
import {
  BUILTIN_TEMPLATES_PATH,
  loadTemplates,
  TemplateError,
  Templates,
} from '../templates/templates.ts';
import { CliError, type CliContext } from './context.ts';

/** Template files (`.html`, `.txt`) under `root`, as `/`-separated relative names, sorted. */
function templateFiles(root: string): string[] {
  const names: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith('.html') || entry.endsWith('.txt')) {
        names.push(relative(root, full).split(sep).join('/'));
      }
    }
  };
  walk(root);
  return names.sort();
}

/** Sample branding, so every branding block of a template is rendered. */
const SAMPLE_BRANDING = {
  service_name: 'Example Service',
  policy_uri: 'https://example.com/privacy',
  tos_uri: 'https://example.com/tos',
  imprint: 'Example Ltd., 1 Example Street',
};

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim();
}

export function saveTemplates(ctx: CliContext, dir: string, overwrite: boolean): void {
  const target = resolve(ctx.cwd, dir);
  const names = Templates.builtinNames();
  const existing = names.filter((name) => existsSync(join(target, name)));
  if (existing.length > 0 && !overwrite) {
    throw new CliError(
      `${existing.length} file(s) already exist in ${target} (${existing.slice(0, 3).join(', ')}` +
        `${existing.length > 3 ? ', …' : ''}); use --overwrite to replace them`,
    );
  }
  for (const name of names) {
    const destination = join(target, name);
    mkdirSync(dirname(destination), { recursive: true });
    copyFileSync(join(BUILTIN_TEMPLATES_PATH, name), destination);
  }
  ctx.out(`saved ${names.length} templates to ${target}`);
}

/** Renders every template; returns one line per failure (empty when everything renders). */
export function checkTemplates(
  ctx: CliContext,
  dir: string,
  translationsDir?: string,
): { failures: string[]; renders: number; templates: number } {
  const root = resolve(ctx.cwd, dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new CliError(`${root} is not a folder`);
  }
  const translationsPath =
    translationsDir === undefined ? undefined : resolve(ctx.cwd, translationsDir);
  if (translationsPath !== undefined && !existsSync(translationsPath)) {
    throw new CliError(`${translationsPath} does not exist`);
  }
  let templates: Templates;
  try {
    templates = loadTemplates({ path: root, branding: SAMPLE_BRANDING, translationsPath });
  } catch (error) {
    throw new CliError(`cannot load the templates: ${oneLine(error)}`);
  }
  const locales = translationsPath === undefined ? ['en'] : templates.translations.locales();

  const failures: string[] = [];
  let renders = 0;
  const sampled = new Set(Object.keys(templateSamples));
  for (const [name, samples] of Object.entries(templateSamples)) {
    // One line per template: its first failure (the others are usually the same problem).
    let failure: string | null = null;
    for (const locale of locales) {
      for (const [index, sample] of samples.entries()) {
        renders++;
        try {
          templates.render(name, { ...sample, lang: locale });
        } catch (error) {
          const where = `sample ${index + 1}${locales.length > 1 ? `, language ${locale}` : ''}`;
          const reason = error instanceof TemplateError ? oneLine(error.cause) : oneLine(error);
          failure ??= `${name}: ${reason} (${where})`;
        }
      }
    }
    if (failure !== null) failures.push(failure);
  }
  // Files without samples (layouts, components, extra files of DIR) must at least compile.
  const unsampled = [...new Set([...Templates.builtinNames(), ...templateFiles(root)])].filter(
    (name) => !sampled.has(name),
  );
  for (const name of unsampled.sort()) {
    try {
      templates.compile(name);
    } catch (error) {
      const reason = error instanceof TemplateError ? oneLine(error.cause) : oneLine(error);
      failures.push(`${name}: ${reason}`);
    }
  }
  return { failures: failures.sort(), renders, templates: sampled.size + unsampled.length };
}

export function registerTemplatesCommands(program: Command, ctx: CliContext): void {
  const templates = program
    .command('templates')
    .description('save the built-in templates for editing, or check edited ones');

  templates
    .command('save')
    .description('copy the built-in templates into DIR (for templates.path)')
    .argument('<dir>', 'where to write them (created when missing)')
    .option('--overwrite', 'replace files that already exist in DIR')
    .action((dir: string, options: { overwrite?: boolean }) => {
      saveTemplates(ctx, dir, options.overwrite === true);
    });

  templates
    .command('check')
    .description("render every template (DIR's files over the built-in ones) with sample contexts")
    .argument('<dir>', 'the folder of templates to check (as set in templates.path)')
    .option(
      '--translations <dir>',
      'also render in every language of this folder (as set in templates.translations_path)',
    )
    .action((dir: string, options: { translations?: string }) => {
      const result = checkTemplates(ctx, dir, options.translations);
      if (result.failures.length > 0) {
        for (const line of result.failures) ctx.err(line);
        throw new CliError(
          `${result.failures.length} of ${result.templates} templates failed to render`,
        );
      }
      ctx.out(`all ${result.templates} templates render (${result.renders} sample renders)`);
    });
}
