// Where the signing keys come from: every file in `secrets.keys_dir`, then each `secrets.keys[]`
// entry (MAS's order). Reads the bytes and passwords and remembers each one's config path, so the
// keystore can point at the exact key that is wrong. Nothing here parses keys.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretsConfig } from '../config/sections/secrets.ts';
import { fileErrorReason as reason, type SecretProblem } from './secrets-error.ts';

export interface KeySource {
  /** Config path of the key itself (`secrets.keys[0].key_file`, `secrets.keys_dir/rsa.pem`). */
  keyPath: string;
  /** Config path of its password, when it has one. */
  passwordPath: string | undefined;
  /** Config path of its configured `kid`, when it has one. */
  kidPath: string | undefined;
  kid: string | undefined;
  bytes: Buffer;
  /** Candidate passwords to try in order; empty when none is configured. */
  passwords: Buffer[];
}

/** A key that was read, or why it could not be; in config order, so problems are listed in order. */
export type KeySourceResult =
  { ok: true; source: KeySource } | { ok: false; problems: SecretProblem[] };

export async function readKeySources(secrets: SecretsConfig): Promise<KeySourceResult[]> {
  const results: KeySourceResult[] = [];

  if (secrets.keys_dir !== undefined) {
    const dir = secrets.keys_dir;
    let names: string[] = [];
    try {
      // Sorted, so the key order (and the default key per algorithm) does not depend on the file system.
      names = (await readdir(dir)).sort();
    } catch (error) {
      const message = `cannot read directory ${dir}: ${reason(error)}`;
      results.push({ ok: false, problems: [{ path: 'secrets.keys_dir', message }] });
    }
    for (const name of names) {
      const file = join(dir, name);
      const keyPath = `secrets.keys_dir/${name}`;
      try {
        // Follows symlinks, as MAS does: Kubernetes mounts secrets as links into a `..data` directory,
        // which itself is skipped here because it is not a file.
        if (!(await stat(file)).isFile()) continue;
        const bytes = await readFile(file);
        results.push({
          ok: true,
          source: {
            keyPath,
            passwordPath: undefined,
            kidPath: undefined,
            kid: undefined,
            bytes,
            passwords: [],
          },
        });
      } catch (error) {
        results.push({
          ok: false,
          problems: [{ path: keyPath, message: `cannot read ${file}: ${reason(error)}` }],
        });
      }
    }
  }

  for (const [index, entry] of (secrets.keys ?? []).entries()) {
    const base = `secrets.keys[${index}]`;
    const keyPath = entry.key_file !== undefined ? `${base}.key_file` : `${base}.key`;
    const passwordPath =
      entry.password_file !== undefined
        ? `${base}.password_file`
        : entry.password !== undefined
          ? `${base}.password`
          : undefined;
    const problems: SecretProblem[] = [];
    let bytes: Buffer | undefined;
    let passwords: Buffer[] | undefined;
    try {
      bytes =
        entry.key_file !== undefined
          ? await readFile(entry.key_file)
          : Buffer.from(entry.key ?? '', 'utf8');
    } catch (error) {
      problems.push({ path: keyPath, message: `cannot read ${entry.key_file}: ${reason(error)}` });
    }
    try {
      passwords = await readPasswords(entry.password, entry.password_file);
    } catch (error) {
      problems.push({
        path: `${base}.password_file`,
        message: `cannot read ${entry.password_file}: ${reason(error)}`,
      });
    }
    if (bytes === undefined || passwords === undefined) {
      results.push({ ok: false, problems });
      continue;
    }
    results.push({
      ok: true,
      source: {
        keyPath,
        passwordPath,
        kidPath: entry.kid !== undefined ? `${base}.kid` : undefined,
        kid: entry.kid,
        bytes,
        passwords,
      },
    });
  }

  return results;
}

async function readPasswords(
  inline: string | undefined,
  file: string | undefined,
): Promise<Buffer[]> {
  if (inline !== undefined) return [Buffer.from(inline, 'utf8')];
  if (file === undefined) return [];
  // MAS uses the file's bytes as they are; `echo secret > file` adds a newline that the operator
  // did not mean as part of the password. Try both, exact bytes first.
  const raw = await readFile(file);
  const trimmed = Buffer.from(raw.toString('utf8').replace(/\r?\n$/, ''), 'utf8');
  return trimmed.equals(raw) ? [raw] : [raw, trimmed];
}
