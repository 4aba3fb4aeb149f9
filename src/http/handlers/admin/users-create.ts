// `POST /users` of the Admin API (MAS: admin/v1/users/add.rs): creates an active user from a
// username. Taken → 409, an invalid localpart → 400, as MAS answers (MAS checks "taken" first).
// With a homeserver configured the provision-user job is queued in the same transaction, so the
// account reaches the homeserver exactly when it exists here.
//
// `skip_homeserver_check` is accepted for MAS compatibility. MAS asks the homeserver whether the
// localpart is free before creating; here no network call is made inside the transaction, so the
// flag has nothing to skip and the provisioning job reports a reserved name instead.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  errorResponseSchema,
  singleResponse,
  singleResponseSchema,
} from '../../../admin/jsonapi.ts';
import { usernameProblem } from '../../../model/user.ts';
import { enqueueProvisionUser } from '../../../storage/matrix-jobs.ts';
import { AdminError } from './admin-error.ts';
import { adminRoute, type AdminDeps, type RouteList } from './admin-route.ts';
import { errorResponses } from './route-docs.ts';
import { userAttributes, userKind } from './users.ts';

const createUserBody = z
  .object({
    username: z.string().meta({ description: 'The username (localpart) of the new user' }),
    skip_homeserver_check: z
      .boolean()
      .optional()
      .meta({ description: 'Accepted for compatibility; no homeserver check is made here' }),
  })
  .meta({ id: 'AddUserRequest' });

export function registerCreateUser(app: FastifyInstance, deps: AdminDeps, routes: RouteList): void {
  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'POST',
      path: '/users',
      operationId: 'createUser',
      summary: 'Create a new user',
      tag: 'user',
      body: createUserBody,
      responses: {
        201: { description: 'The user was created', schema: singleResponseSchema(userKind) },
        ...errorResponses(400),
        409: { description: 'The username is taken', schema: errorResponseSchema },
      },
    },
    async ({ repos, body }) => {
      const { username } = body;
      if (await repos.users.exists(username)) throw new AdminError(409, 'User already exists');
      if (usernameProblem(username, deps.config.matrix?.homeserver ?? null) !== null) {
        throw new AdminError(400, 'Username is not valid');
      }
      const user = await repos.users.add(deps.rng, deps.clock, username);
      // Taken by a concurrent request between the check and the insert.
      if (user === null) throw new AdminError(409, 'User already exists');
      if (deps.config.matrix !== undefined) {
        await enqueueProvisionUser(repos.queue, deps.rng, deps.clock, user.id);
      }
      return { status: 201, body: singleResponse(userKind, user.id, userAttributes(user)) };
    },
  );
}
