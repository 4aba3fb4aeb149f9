// What the application resources (discovery, human, oauth, and later compat and adminapi) are
// built from. `gatehouse server` assembles one per process (src/cli/server.ts). A resource passes
// each handler only the parts it uses.

import type { Clock } from '../clock.ts';
import type { RootConfig } from '../config/root.ts';
import type { Encrypter } from '../crypto/encrypter.ts';
import type { Keystore } from '../crypto/keystore.ts';
import type { PasswordManager } from '../crypto/password-manager.ts';
import type { HomeserverConnection } from '../matrix/homeserver-connection.ts';
import type { RateLimiter } from '../rate-limit/rate-limiter.ts';
import type { Rng } from '../rng.ts';
import type { IntrospectionCache } from '../services/introspection-cache.ts';
import type { PolicyDataService } from '../services/policy-data-service.ts';
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
  /** Limits on sign-in, password change, registration, recovery and email codes. */
  readonly rateLimiter: RateLimiter;
  readonly templates: Templates;
  readonly urls: UrlBuilder;
  readonly logger: Logger;
  /**
   * Recent active introspection answers, shared by the introspection endpoint and everything that
   * ends sessions or revokes tokens (which must invalidate it). Without one, nothing is cached.
   */
  readonly introspectionCache?: IntrospectionCache;
  /** The Matrix homeserver (from the `matrix` section); null for a standalone OpenID provider. */
  readonly homeserver?: HomeserverConnection | null;
  /**
   * The policy data in force (the configuration's merged with the newest stored version); `config`
   * is then its live view (`liveConfig`). Without one, `policy.data` is the configuration's alone.
   */
  readonly policyData?: PolicyDataService | null;
}
