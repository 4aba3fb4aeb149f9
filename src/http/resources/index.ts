// The listener resources (`http.listeners[].resources[]`, MAS's list): each `name` maps to a
// factory that returns the Fastify plugin serving it, or null when it mounts nothing. The listener
// registers every plugin under its `prefix` (src/http/listener-app.ts).
//
// To add a resource (or implement one that is still pending):
// 1. if it is new, add its `name` (and options) to `httpResourceSchema` in
//    src/config/sections/http.ts: the type below then asks for a factory;
// 2. write src/http/resources/<name>.ts exporting `<name>Resource(...)`, a function of only what
//    it needs (a small interface, not the whole storage) that returns a `FastifyPluginAsync`;
// 3. add what it needs to `ResourceDependencies` (filled in by src/http/http-servers.ts) and map
//    its name to the factory in `factories` below;
// 4. test it through a real listener in test/http/resources/<name>.test.ts.

import type { FastifyPluginAsync } from 'fastify';
import type { HttpResourceConfig, HttpResourceName } from '../../config/sections/http.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { AppContext } from '../app-context.ts';
import type { Metrics } from '../../telemetry/metrics.ts';
import { adminapiResource } from './adminapi.ts';
import { assetsResource } from './assets.ts';
import { compatResource } from './compat.ts';
import { discoveryResource } from './discovery.ts';
import { healthResource, type HealthProbe } from './health.ts';
import { oauthResource } from './oauth.ts';
import { humanResource } from './human.ts';
import { prometheusResource } from './prometheus.ts';

export type { HealthProbe };

export interface ResourceDependencies {
  readonly health: HealthProbe;
  /** What the application resources are built from; null in processes that serve none. */
  readonly app: AppContext | null;
  readonly metrics: Metrics;
  /** Bound to the listener. */
  readonly logger: Logger;
  /** Served by `assets` when the resource has no `path`. */
  readonly assetsDefaultPath: string;
}

type Factory<N extends HttpResourceName> = (
  resource: Extract<HttpResourceConfig, { name: N }>,
  deps: ResourceDependencies,
) => FastifyPluginAsync | null;

/** A resource MAS has that comes with a later version: accepted, announced, not mounted. */
const notAvailableYet = (resource: { name: string }, deps: ResourceDependencies): null => {
  deps.logger.warn(
    { resource: resource.name },
    `resource ${resource.name} is not available yet in this version of Gatehouse`,
  );
  return null;
};

/** A resource built from the AppContext: announced and not mounted in a process without one. */
const needsApp =
  (build: (app: AppContext) => FastifyPluginAsync) =>
  (resource: { name: string }, deps: ResourceDependencies): FastifyPluginAsync | null => {
    if (deps.app === null) {
      deps.logger.warn(
        { resource: resource.name },
        `resource ${resource.name} needs the application context, which this process does not have: not mounted`,
      );
      return null;
    }
    return build(deps.app);
  };

const factories: { [N in HttpResourceName]: Factory<N> } = {
  health: (_resource, deps) => healthResource(deps.health),
  prometheus: (_resource, deps) => prometheusResource(deps.metrics, deps.logger),
  assets: (resource, deps) => assetsResource(resource.path ?? deps.assetsDefaultPath, deps.logger),
  discovery: needsApp(discoveryResource),
  human: needsApp(humanResource),
  oauth: needsApp(oauthResource),
  compat: needsApp(compatResource),
  graphql: notAvailableYet,
  adminapi: needsApp(adminapiResource),
  'connection-info': notAvailableYet,
};

/** The plugin serving `resource`, or null when it mounts nothing. */
export function resourcePlugin(
  resource: HttpResourceConfig,
  deps: ResourceDependencies,
): FastifyPluginAsync | null {
  const factory = factories[resource.name] as Factory<HttpResourceName>;
  return factory(resource, deps);
}
