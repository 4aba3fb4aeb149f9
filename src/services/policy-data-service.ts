// The policy data in force on this node: the configuration's `policy.data` with the newest stored
// version (POST /api/admin/v1/policy-data) merged over it (../model/policy-data.ts: MAS's merge).
//
// Every node reloads the newest version periodically (every 30 s by default, so a change reaches
// every node within a minute, as MAS promises) and, on PostgreSQL, as soon as the database
// announces a new one (LISTEN on the channel of ../storage/policy-data-repository.ts). The node
// that stores a version adopts it at once.
//
// Consumers read `policy.data` from the configuration, as they always did: `liveConfig` gives a
// view of the configuration whose `policy` section carries the merged data of the moment, and the
// app context holds that view (src/cli/server.ts). A version that cannot be merged over the
// configuration (the configuration changed since it was posted) is logged once and ignored.

import type { RootConfig } from '../config/root.ts';
import type { PolicyConfig } from '../config/sections/policy.ts';
import {
  mergePolicyData,
  PolicyDataMergeError,
  type PolicyData,
  type PolicyDataId,
  type PolicyDataMap,
} from '../model/policy-data.ts';
import type pg from 'pg';
import { POLICY_DATA_CHANNEL } from '../storage/policy-data-repository.ts';
import type { Storage } from '../storage/storage.ts';
import type { Logger } from '../telemetry/logger.ts';
import { postgresListener, type NotificationListener } from './postgres-listener.ts';

/** Every node reloads at least this often. */
export const POLICY_DATA_RELOAD_MS = 30_000;

/** Runs `tick` every `ms` until the returned function is called. */
export type Every = (ms: number, tick: () => void) => () => void;

const realEvery: Every = (ms, tick) => {
  const handle = setInterval(tick, ms);
  // A reload timer alone must not keep the process alive.
  handle.unref();
  return () => clearInterval(handle);
};

export interface PolicyDataServiceOptions {
  readonly storage: Storage;
  /** The configuration's `policy` section; its `data` is the base of every merge. */
  readonly policy: PolicyConfig;
  readonly logger: Logger;
  /** New versions announced by the database (PostgreSQL); null or absent to only poll. */
  readonly listener?: NotificationListener | null;
  readonly reloadMs?: number;
  /** How the periodic reload is scheduled (tests drive it by hand). */
  readonly every?: Every;
}

export class PolicyDataService {
  readonly #options: PolicyDataServiceOptions;
  #version: PolicyDataId | null = null;
  #section: PolicyConfig;
  /** The last version refused, so a bad version is logged once, not at every reload. */
  #refused: PolicyDataId | null = null;
  #cancel: (() => void) | null = null;
  #reloading: Promise<boolean> | null = null;
  #reloadAgain = false;

  constructor(options: PolicyDataServiceOptions) {
    this.#options = options;
    this.#section = options.policy;
  }

  /** The merged policy data in force. */
  current(): PolicyDataMap {
    return this.#section.data;
  }

  /** The id of the stored version in force; null when only the configuration's data applies. */
  get version(): PolicyDataId | null {
    return this.#version;
  }

  /** What `data` would give merged over the configuration; throws PolicyDataMergeError. */
  check(data: unknown): PolicyDataMap {
    return mergePolicyData(this.#options.policy.data, data);
  }

  /**
   * Puts `version` in force (the node storing it calls this at once). Throws PolicyDataMergeError
   * when it cannot be merged. Not limited to newer versions: a reload that finds the stored
   * newest differs from the one in force (whose transaction failed, say) puts it back.
   */
  adopt(version: PolicyData): boolean {
    if (version.id === this.#version) return false;
    const merged = this.check(version.data);
    this.#section = { ...this.#options.policy, data: merged as PolicyConfig['data'] };
    this.#version = version.id;
    return true;
  }

  /** Loads the newest stored version and adopts it; true when it changed what is in force. */
  reload(): Promise<boolean> {
    // One load at a time; a request during one runs once more after it (it may have missed a
    // version committed meanwhile).
    if (this.#reloading !== null) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      let changed = false;
      try {
        do {
          this.#reloadAgain = false;
          changed = (await this.#loadLatest()) || changed;
        } while (this.#reloadAgain);
      } finally {
        this.#reloading = null;
      }
      return changed;
    })();
    return this.#reloading;
  }

  async #loadLatest(): Promise<boolean> {
    const latest = await this.#options.storage.transaction((repos) => repos.policyData.latest());
    if (latest === null || latest.id === this.#version || latest.id === this.#refused) return false;
    try {
      return this.adopt(latest);
    } catch (error) {
      if (!(error instanceof PolicyDataMergeError)) throw error;
      this.#refused = latest.id;
      this.#options.logger.error(
        { policyData: latest.id, error: error.message },
        'the newest policy data cannot be merged over the configuration; ignoring it',
      );
      return false;
    }
  }

  /** Loads the newest version, then keeps reloading until `stop`. */
  async start(): Promise<void> {
    const { logger } = this.#options;
    const reload = () =>
      void this.reload().catch((error: unknown) =>
        logger.warn({ error: (error as Error).message }, 'could not reload the policy data'),
      );
    await this.reload().catch((error: unknown) => {
      logger.warn({ error: (error as Error).message }, 'could not load the policy data');
    });
    const every = this.#options.every ?? realEvery;
    this.#cancel = every(this.#options.reloadMs ?? POLICY_DATA_RELOAD_MS, reload);
    await this.#options.listener?.start(reload);
  }

  async stop(): Promise<void> {
    this.#cancel?.();
    this.#cancel = null;
    await this.#options.listener?.stop();
    await this.#reloading?.catch(() => {});
  }

  /**
   * A view of `config` whose `policy` section carries the merged data of the moment: every
   * consumer of `policy.data` reading it from the view sees each new version.
   */
  liveConfig(config: RootConfig): RootConfig {
    const view = { ...config };
    Object.defineProperty(view, 'policy', { enumerable: true, get: () => this.#section });
    return view;
  }
}

/**
 * A started service for `gatehouse server`: with `pool` (PostgreSQL), new versions are also picked
 * up as soon as the database announces them.
 */
export async function startPolicyData(
  options: Omit<PolicyDataServiceOptions, 'listener'> & { readonly pool: pg.Pool | null },
): Promise<PolicyDataService> {
  const { pool, ...rest } = options;
  const service = new PolicyDataService({
    ...rest,
    listener:
      pool === null
        ? null
        : postgresListener(pool, POLICY_DATA_CHANNEL, {
            onLost: (error) =>
              options.logger.warn(
                { channel: POLICY_DATA_CHANNEL, error: error?.message },
                'lost the policy data listener; polling until it is back',
              ),
          }),
  });
  await service.start();
  return service;
}
