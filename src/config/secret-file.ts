// Many secrets can be given inline (`secret: ...`) or as a file (`secret_file: ...`), as in MAS.
// Schemas keep both keys as written; the module that needs the value reads it through here, so the
// file is read once, at start-up, at the edge.

import { readFileSync } from 'node:fs';

/** The inline value, else the file's contents (trailing newline trimmed), else undefined. */
export function readInlineOrFile(
  inline: string | undefined,
  file: string | undefined,
): string | undefined {
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

/** As `readInlineOrFile`, but the raw bytes (for DER keys and certificates). */
export function readInlineOrFileBytes(
  inline: string | undefined,
  file: string | undefined,
): Buffer | undefined {
  if (inline !== undefined) return Buffer.from(inline, 'utf8');
  if (file === undefined) return undefined;
  return readFileSync(file);
}
