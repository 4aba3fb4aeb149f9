// The JSON Schema (draft 2020-12) of the configuration file, derived from the zod schemas, for
// editors and for docs/config.schema.json (`gatehouse config schema` writes it).

import { z } from 'zod';
import { rootSchema } from './root.ts';

export function configJsonSchema(): Record<string, unknown> {
  // `io: 'input'` describes what may be written: keys with a default are not required.
  const schema = z.toJSONSchema(rootSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Gatehouse configuration',
    ...schema,
  };
}

/** The schema as committed in docs/config.schema.json. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
