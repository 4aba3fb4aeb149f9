// What the application resources (discovery, human, oauth, and later compat and adminapi) are
// built from. `gatehouse server` assembles one per process (src/cli/server.ts). A resource passes
// each handler only the parts it uses.

import type { Clock } from '../clock.ts';
import type { RootConfig } from '../config/root.ts';
import type { Encrypter } from '../crypto/encrypter.ts';
import type { Keystore } from '../crypto/keystore.ts';
import type { PasswordManager } from '../crypto/password-manager.ts';
import type { Rng } from '../rng.ts';
import type { Storage } from '../storage/storage.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Templates } from '../templates/templates.ts';
import type { UrlBuilder } from './url-builder.ts';

export interface AppContext {
  readonly config: RootConfig;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly keystore: Keystore;
  readonly encrypter: Encrypter;
  readonly passwords: PasswordManager;
  readonly templates: Templates;
  readonly urls: UrlBuilder;
  readonly logger: Logger;
}
