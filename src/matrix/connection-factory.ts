// The homeserver connection for the `matrix` config section, or null without one (standalone
// OpenID provider). Built once by the CLI (`server`, `worker`) and handed to the HTTP app and the
// worker's jobs.

import { readInlineOrFile } from '../config/secret-file.ts';
import type { MatrixConfig } from '../config/sections/matrix.ts';
import type { HomeserverConnection } from './homeserver-connection.ts';
import { HomeserverHttp } from './homeserver-http.ts';
import { ReadOnlyConnection, type SkippedWriteLog } from './read-only-connection.ts';
import { SynapseConnection } from './synapse-connection.ts';
import { SynapseLegacyConnection } from './synapse-legacy-connection.ts';

/** `matrix.secret`, or the contents of `matrix.secret_file` (read once, whitespace trimmed). */
export function homeserverSecret(config: MatrixConfig): string {
  const secret = readInlineOrFile(config.secret, config.secret_file)?.trim();
  if (secret === undefined || secret === '') {
    throw new Error('matrix: the shared secret is empty (set matrix.secret or matrix.secret_file)');
  }
  return secret;
}

export interface ConnectionOptions {
  /** Where the read-only connection reports the writes it skips. */
  readonly logSkippedWrite: SkippedWriteLog;
  readonly timeoutMs?: number;
}

/** Throws a one-line Error when the secret file cannot be read. */
export function homeserverConnection(
  config: MatrixConfig | undefined,
  options: ConnectionOptions,
): HomeserverConnection | null {
  if (config === undefined) return null;
  const http = new HomeserverHttp({
    endpoint: config.endpoint,
    secret: homeserverSecret(config),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  switch (config.kind) {
    case 'synapse':
    case 'synapse_modern':
      return new SynapseConnection(config.homeserver, http);
    case 'synapse_legacy':
      return new SynapseLegacyConnection(config.homeserver, http);
    case 'synapse_read_only':
      return new ReadOnlyConnection(
        new SynapseConnection(config.homeserver, http),
        options.logSkippedWrite,
      );
  }
}
