// Writes docs/config.schema.json and docs/configuration.md from the zod schemas of src/config/.
// Run after changing a section: `node scripts/config-docs.ts`. test/config/docs.test.ts fails when
// the committed files differ from what this writes.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { configJsonSchema, configJsonSchemaText } from '../src/config/json-schema.ts';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  format?: string;
}

interface Row {
  key: string;
  type: string;
  fallback: string;
  description: string;
  /** A default too long for the table, as YAML. */
  long?: string;
}

const INTRO = `# Configuration reference

Gatehouse reads the configuration file format of the Matrix Authentication Service (MAS): the same
sections, keys and defaults, so a MAS \`config.yaml\` works unchanged. This page is generated from the
schemas in \`src/config/\` by \`node scripts/config-docs.ts\`; the same schemas give the JSON Schema in
[config.schema.json](config.schema.json), which editors can use for completion and checking (for
example with the YAML language server: \`# yaml-language-server: $schema=./docs/config.schema.json\`).

## Loading

- **Which files.** Every \`-c FILE\` / \`--config FILE\` option, in order (repeat it to merge several
  files). Without any, the files listed in \`GATEHOUSE_CONFIG\`, else in \`MAS_CONFIG\`, separated by
  \`:\`. Without those either, \`config.yaml\` in the working directory. Relative paths, here and in
  the file (\`*_file\` keys, \`templates.path\`, ...), are relative to the working directory.
- **Merging.** Files are merged in order: for a mapping present in several files the keys are merged
  recursively, a later scalar replaces an earlier one, and **lists are concatenated** (so two files
  can each add \`clients\` or \`upstream_oauth2.providers\`), as MAS's figment \`admerge\` does.
- **Checking.** Unknown keys are errors (MAS silently ignores them), as are wrong types, values and
  combinations. Every problem of every file is reported at once, one line each:
  \`<file>: <path>: <message>\`, where \`<path>\` is the YAML path such as
  \`http.listeners[0].binds[1].port\` and \`<file>\` the file that set the value. Unreadable files
  and YAML syntax errors (with line and column) are reported the same way.
- **Secrets in files.** Keys that hold a secret have a \`*_file\` twin (\`secret\` / \`secret_file\`,
  \`client_secret\` / \`client_secret_file\`, ...). Set one or the other, never both; the file is read
  when the value is needed, and surrounding whitespace is trimmed.
- **Required sections.** Only \`secrets\`. MAS also requires \`matrix\`; without it Gatehouse runs as a
  standalone OpenID Connect provider (\`config check\` says so in a note).

## Commands

| Command | What it does |
|---|---|
| \`gatehouse config check\` | Loads and validates the files, loads the encryption key and signing keys; prints \`configuration OK\` and notes, or every problem (exit status 1). |
| \`gatehouse config dump [-o FILE]\` | Prints the merged configuration with every default filled in, as YAML. |
| \`gatehouse config generate [-o FILE] [--database URI] [--public-base URL] [--listen HOST:PORT] [--force]\` | Writes a commented configuration with a random encryption key, an RSA 2048 and an EC P-256 signing key and a random homeserver secret. The database defaults to \`sqlite:data/gatehouse.db\`. Refuses to replace an existing file without \`--force\`. |
| \`gatehouse config schema [-o FILE]\` | Prints the JSON Schema (draft 2020-12) of the file. |

## Differences from MAS

- \`database.uri\` also takes \`sqlite:PATH\` and \`sqlite::memory:\`; \`database.busy_timeout\` is new.
- \`matrix\` is optional (see above).
- \`templates.*\` and \`policy.wasm_module\` default to the files shipped with Gatehouse rather than to
  paths that depend on how MAS was built.
- \`email.transport\` defaults to \`blackhole\` when the \`email\` section is present but does not say
  (MAS requires it), and \`email.command\` defaults to \`sendmail\`.
- \`upstream_oauth2.providers[].claims_imports.email.set_email_verification\`, removed from MAS, is
  accepted and ignored so older files still load.
- MAS also reads \`MAS_<SECTION>_<KEY>\` environment variables as a lowest-priority layer under the
  files; Gatehouse reads its settings from the files only.
- \`captcha\`: every service needs \`site_key\` and \`secret_key\` (MAS checks only reCAPTCHA's).
- \`client_id\` and provider \`id\` must be real ULIDs, as in MAS: note that the MAS documentation's
  example \`000000000000000000000FIRST\` is not one (\`I\` is not a ULID character).
`;

/** The whole docs/configuration.md. */
export function renderConfigurationMarkdown(): string {
  const root = configJsonSchema() as JsonSchema;
  const parts = [INTRO, '## Sections\n'];
  for (const [name, section] of Object.entries(root.properties ?? {})) {
    parts.push(`### \`${name}\`\n`);
    const required = root.required?.includes(name) ? ' **Required.**' : '';
    parts.push(`${section.description ?? ''}${required}\n`);
    const rows: Row[] = [];
    collect(section, '', rows);
    if (rows.length > 0) {
      parts.push('| Key | Type | Default | Description |\n|---|---|---|---|');
      parts.push(
        `${rows.map((r) => `| ${cell(r.key ? `\`${r.key}\`` : '')} | ${cell(r.type)} | ${cell(r.fallback)} | ${cell(r.description)} |`).join('\n')}\n`,
      );
    }
    for (const row of rows.filter((r) => r.long !== undefined)) {
      parts.push(`Default of \`${row.key}\`:\n\n\`\`\`yaml\n${row.long}\`\`\`\n`);
    }
  }
  return `${parts.join('\n').trimEnd()}\n`;
}

/** Rows for the keys under `schema`, depth first, with dotted paths relative to the section. */
function collect(schema: JsonSchema, prefix: string, rows: Row[]): void {
  if (schema.properties) {
    for (const [key, child] of Object.entries(schema.properties)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      const requiredMark =
        schema.required?.includes(key) && child.default === undefined ? ' (required)' : '';
      const fallback = fallbackOf(child);
      const row: Row = {
        key: path,
        type: typeOf(child) + requiredMark,
        fallback,
        description: child.description ?? '',
      };
      if (fallback === 'below') row.long = stringify({ [key]: child.default }, { lineWidth: 0 });
      rows.push(row);
      descend(child, path, rows);
    }
    return;
  }
  descend(schema, prefix, rows);
}

function descend(schema: JsonSchema, path: string, rows: Row[]): void {
  const forms = schema.anyOf ?? schema.oneOf;
  if (schema.properties) collect(schema, path, rows);
  else if (schema.type === 'array' && schema.items) descend(schema.items, `${path}[]`, rows);
  else if (forms) {
    const objectForms = forms.filter((f) => f.properties);
    if (objectForms.length > 1) {
      for (const form of objectForms) {
        const label = formLabel(form);
        rows.push({
          key: `${path} (${label})`,
          type: 'form',
          fallback: '',
          description: form.description ?? '',
        });
        collect(form, `${path} (${label})`, rows);
      }
    } else {
      for (const form of objectForms) collect(form, path, rows);
    }
  } else if (
    typeof schema.additionalProperties === 'object' &&
    schema.additionalProperties.properties
  ) {
    collect(schema.additionalProperties, `${path}.<name>`, rows);
  }
}

function formLabel(form: JsonSchema): string {
  const properties = form.properties ?? {};
  for (const [key, child] of Object.entries(properties)) {
    if (child.const !== undefined) return `${key}: ${String(child.const)}`;
  }
  return Object.keys(properties).join(' + ');
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((v) => `\`${v === null ? '~' : String(v)}\``).join(', ');
  const forms = schema.anyOf ?? schema.oneOf;
  if (forms) {
    if (forms.every((f) => f.properties)) return 'one of the forms below';
    return [...new Set(forms.map(typeOf))].join(' or ');
  }
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
  switch (type) {
    case 'array':
      return schema.items ? `list of ${plural(typeOf(schema.items))}` : 'list';
    case 'object':
      if (schema.properties) return 'mapping';
      return typeof schema.additionalProperties === 'object' && schema.additionalProperties.type
        ? `mapping of ${plural(typeOf(schema.additionalProperties))}`
        : 'mapping';
    case 'integer':
      return `integer${range(schema)}`;
    case 'number':
      return `number${range(schema)}`;
    case 'string':
      if (schema.format === 'uri') return 'URL';
      if (schema.pattern?.includes('0-7')) return 'ULID';
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'null':
      return '`~`';
    default:
      return type ?? 'any';
  }
}

function plural(type: string): string {
  if (type === 'mapping') return 'mappings';
  if (type === 'string') return 'strings';
  if (type === 'URL') return 'URLs';
  return type;
}

function range(schema: JsonSchema): string {
  const low =
    schema.minimum ??
    (schema.exclusiveMinimum !== undefined ? `>${schema.exclusiveMinimum}` : undefined);
  const high = schema.maximum;
  // Very wide bounds (safe integers, u32) say nothing useful.
  const useful = (n: unknown) =>
    typeof n === 'string' || (typeof n === 'number' && Math.abs(n) < 2 ** 31);
  if (useful(low) && useful(high)) return ` (${low}–${high})`;
  if (useful(low)) return typeof low === 'string' ? ` (${low})` : ` (≥ ${low})`;
  if (useful(high)) return ` (≤ ${high})`;
  return '';
}

function fallbackOf(schema: JsonSchema): string {
  if (schema.default === undefined) return '';
  const text = JSON.stringify(schema.default);
  if (text === '{}') return '';
  if (text.length > 60) return 'below';
  return `\`${text}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');
}

if (import.meta.main) {
  const docs = fileURLToPath(new URL('../docs/', import.meta.url));
  writeFileSync(`${docs}config.schema.json`, configJsonSchemaText());
  writeFileSync(`${docs}configuration.md`, renderConfigurationMarkdown());
  console.log('wrote docs/config.schema.json and docs/configuration.md');
}
