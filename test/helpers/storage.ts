// A fresh, migrated `SqlStorage` for tests, on SQLite (a file in a new temp directory) or on
// PostgreSQL (a new database on the shared test server, see ./postgres.ts). Every call gets its
// own database, so tests never see each other's rows.
//
//   for (const dialect of dialects) {
//     describe(dialect, () => {
//       let t: TestStorage;
//       beforeEach(async () => { t = await openTestStorage(dialect); });
//       afterEach(() => t.cleanup());
//       ...
//     });
//   }

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseSchema } from '../../src/config/sections/database.ts';
import type { OAuth2ClientFields } from '../../src/storage/oauth2-client-repository.ts';
import { SqlStorage } from '../../src/storage/sql/sql-storage.ts';
import { createTestDatabase } from './postgres.ts';

export const dialects = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof dialects)[number];

export interface TestStorage {
  storage: SqlStorage;
  /** The `database.uri` the storage was opened with (a second connection may use it). */
  uri: string;
  /** Closes the storage and removes what it made (the SQLite temp directory). */
  cleanup(): Promise<void>;
}

/** A database URI for an empty database of the dialect, and how to remove it. */
export async function createEmptyDatabase(
  dialect: TestDialect,
): Promise<{ uri: string; remove(): void }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-'));
    return {
      uri: `sqlite:${join(dir, 'gatehouse.db')}`,
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  // Databases on the shared server go away with it.
  return { uri: await createTestDatabase(), remove: () => {} };
}

/** Opens `uri` with the default pool and timeout settings, without migrating. */
export function openStorage(uri: string): SqlStorage {
  return SqlStorage.open(databaseSchema.parse({ uri }));
}

export async function openTestStorage(dialect: TestDialect): Promise<TestStorage> {
  const { uri, remove } = await createEmptyDatabase(dialect);
  const storage = openStorage(uri);
  try {
    await storage.migrate();
  } catch (error) {
    await storage.close();
    remove();
    throw error;
  }
  let closed = false;
  return {
    storage,
    uri,
    cleanup: async () => {
      if (!closed) {
        closed = true;
        await storage.close();
      }
      remove();
    },
  };
}

/**
 * A client's stored fields with nothing optional set: a public client (`none`) with no grants, no
 * URIs and no metadata. Tests give only what matters to them: `bareClientFields({ grantTypes: [...] })`.
 */
export function bareClientFields(overrides: Partial<OAuth2ClientFields> = {}): OAuth2ClientFields {
  return {
    encryptedClientSecret: null,
    tokenEndpointAuthMethod: 'none',
    tokenEndpointAuthSigningAlg: null,
    grantTypes: [],
    redirectUris: [],
    postLogoutRedirectUris: [],
    applicationType: null,
    clientName: null,
    clientNameLocalized: {},
    clientUri: null,
    logoUri: null,
    policyUri: null,
    tosUri: null,
    contacts: [],
    jwks: null,
    jwksUri: null,
    idTokenSignedResponseAlg: null,
    userinfoSignedResponseAlg: null,
    initiateLoginUri: null,
    metadataDigest: null,
    ...overrides,
  };
}
