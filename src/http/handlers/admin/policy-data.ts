// The Admin API's policy data (MAS: admin/v1/policy_data): `POST /policy-data` stores a new
// version (201), refused with 400 when it cannot be merged over the configuration's
// `policy.data`; `GET /policy-data/latest` is the version in force (404 when none was ever set)
// and `GET /policy-data/{id}` one version. The node that stores a version adopts it at once; the
// others within their next reload (src/services/policy-data-service.ts). Only the newest
// `KEEP_VERSIONS` are kept, as MAS's pruning job does.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { singleResponse, singleResponseSchema, type ResourceKind } from '../../../admin/jsonapi.ts';
import {
  asPolicyDataId,
  mergePolicyData,
  PolicyDataMergeError,
  type PolicyData,
} from '../../../model/policy-data.ts';
import type { PolicyDataService } from '../../../services/policy-data-service.ts';
import { AdminError } from './admin-error.ts';
import { ADMIN_PREFIX, adminRoute, type AdminDeps, type RouteList } from './admin-route.ts';
import { registerGetById } from './get-by-id-route.ts';
import { errorResponses } from './route-docs.ts';

/** Versions kept (MAS prunes to the same number). */
export const KEEP_VERSIONS = 10;

const example = { hello: 'world', foo: 42, bar: true };

export const policyDataKind = {
  type: 'policy-data',
  path: `${ADMIN_PREFIX}/policy-data`,
  attributes: z
    .object({
      created_at: z.iso.datetime(),
      data: z.unknown().meta({ description: 'The policy data, as posted', example }),
    })
    .meta({ id: 'PolicyData' }),
} satisfies ResourceKind<z.ZodType>;

const setBody = z
  .object({
    data: z
      .record(z.string(), z.unknown())
      .meta({ description: "Merged over the configuration's policy.data", example }),
  })
  .meta({ id: 'SetPolicyDataRequest' });

const toAttributes = (version: PolicyData): z.infer<typeof policyDataKind.attributes> => ({
  created_at: version.createdAt.toISOString(),
  data: version.data,
});

const answer = (version: PolicyData, status = 200) => ({
  status,
  body: singleResponse(policyDataKind, version.id, toAttributes(version)),
});

export interface PolicyDataDeps extends AdminDeps {
  /** The node's policy data; null where none runs (then versions are only checked and stored). */
  readonly policyData: PolicyDataService | null;
}

export function registerPolicyData(
  app: FastifyInstance,
  deps: PolicyDataDeps,
  routes: RouteList,
): void {
  const check = (data: unknown): void => {
    try {
      if (deps.policyData !== null) deps.policyData.check(data);
      else mergePolicyData(deps.config.policy.data, data);
    } catch (error) {
      if (!(error instanceof PolicyDataMergeError)) throw error;
      throw new AdminError(400, `Invalid policy data: ${error.message}`);
    }
  };

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'POST',
      path: '/policy-data',
      operationId: 'setPolicyData',
      summary: 'Set the current policy data',
      tag: 'policy-data',
      body: setBody,
      responses: {
        201: {
          description: 'The new version, now in force',
          schema: singleResponseSchema(policyDataKind),
        },
        ...errorResponses(400),
      },
    },
    async ({ repos, body }) => {
      check(body.data);
      const version = await repos.policyData.add(deps.rng, deps.clock, body.data);
      await repos.policyData.prune(KEEP_VERSIONS);
      // In force on this node at once (it was checked above, so adopting cannot fail). Should the
      // commit fail, the node's next reload puts the stored version back.
      deps.policyData?.adopt(version);
      return answer(version, 201);
    },
  );

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: '/policy-data/latest',
      operationId: 'getLatestPolicyData',
      summary: 'Get the latest policy data',
      tag: 'policy-data',
      responses: {
        200: { description: 'The version in force', schema: singleResponseSchema(policyDataKind) },
        ...errorResponses(404),
      },
    },
    async ({ repos }) => {
      const latest = await repos.policyData.latest();
      if (latest === null) throw new AdminError(404, 'No policy data found');
      return answer(latest);
    },
  );

  registerGetById(app, deps, routes, {
    kind: policyDataKind,
    operationId: 'getPolicyData',
    summary: 'Get policy data by ID',
    tag: 'policy-data',
    description: 'The version',
    idDescription: 'The ID of the version',
    lookup: (repos, id) => repos.policyData.lookup(asPolicyDataId(id)),
    notFound: (id) => `Policy data with ID ${id} not found`,
    attributes: toAttributes,
  });
}
