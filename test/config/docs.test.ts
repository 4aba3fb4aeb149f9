// The committed configuration reference and schema match the code, and every key is documented.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configJsonSchema } from '../../src/config/json-schema.ts';
import { renderConfigurationMarkdown } from '../../scripts/config-docs.ts';

interface Node {
  description?: string;
  properties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
  oneOf?: Node[];
  additionalProperties?: Node | boolean;
}

function undocumented(node: Node, path: string, out: string[]): string[] {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (!child.description) out.push(`${path}.${key}`);
    undocumented(child, `${path}.${key}`, out);
  }
  if (node.items) undocumented(node.items, `${path}[]`, out);
  for (const form of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) undocumented(form, path, out);
  if (typeof node.additionalProperties === 'object')
    undocumented(node.additionalProperties, `${path}.*`, out);
  return out;
}

describe('configuration documentation', () => {
  it('describes every key', () => {
    assert.deepEqual(undocumented(configJsonSchema() as Node, '', []), []);
  });

  it('docs/configuration.md is up to date (run `node scripts/config-docs.ts`)', () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    assert.equal(committed, renderConfigurationMarkdown());
  });

  it('documents each section with its keys and MAS defaults', () => {
    const markdown = renderConfigurationMarkdown();
    for (const section of Object.keys((configJsonSchema() as Node).properties ?? {})) {
      assert.match(markdown, new RegExp(`^### \`${section}\`$`, 'm'));
    }
    assert.match(
      markdown,
      /^\| `login\.per_ip` \| mapping \| `\{"burst":3,"per_second":0\.05\}` \|/m,
    );
    assert.match(markdown, /^\| `homeserver` \| string \| `"localhost:8008"` \|/m);
  });
});
