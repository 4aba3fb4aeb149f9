// `templates` section: where the server-rendered pages, emails, front-end assets manifest and
// translations come from. MAS's defaults depend on how MAS was built (Docker, release archive,
// source tree); Gatehouse's default is always the set it ships with, so each key is optional.

import { z } from 'zod';

export const templatesSchema = z
  .strictObject({
    path: z
      .string()
      .optional()
      .describe(
        'Folder of templates overriding the built-in ones, relative to the working directory (not to the ' +
          'configuration file). Default: the templates shipped with Gatehouse (MAS: `./templates/`, ' +
          '`./share/templates/` or `/usr/local/share/mas-cli/templates/` depending on the build).',
      ),
    assets_manifest: z
      .string()
      .optional()
      .describe(
        'Path to the front-end assets manifest (`manifest.json`). Default: the manifest shipped with ' +
          'Gatehouse (MAS: `./frontend/dist/manifest.json` or `./share/manifest.json`).',
      ),
    translations_path: z
      .string()
      .optional()
      .describe(
        'Folder of translation files. Default: the translations shipped with Gatehouse (MAS: ' +
          '`./translations/` or `./share/translations/`).',
      ),
  })
  .describe('Where to load templates, the assets manifest and translations from.');

export type TemplatesConfig = z.infer<typeof templatesSchema>;
