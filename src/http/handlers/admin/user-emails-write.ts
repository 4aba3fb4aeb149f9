// Adding and removing user emails through the Admin API (MAS: admin/v1/user_emails add, delete).
// `POST /user-emails` `{user_id, email}` adds a (verified) address: 404 for an unknown user, 400
// for an implausible address, 409 when any user already has it (as MAS's Admin API, which is
// stricter here than the account pages). `DELETE /user-emails/{id}` removes one (204). Either way
// the user's provisioning is queued so the homeserver learns the change (as MAS).

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  errorResponseSchema,
  singleResponse,
  singleResponseSchema,
  ulidSchema,
} from '../../../admin/jsonapi.ts';
import { asUserId, type UserId } from '../../../model/ids.ts';
import { asUserEmailId, isPlausibleEmail } from '../../../model/user-email.ts';
import { enqueueProvisionUser } from '../../../storage/matrix-jobs.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { AdminError, notFound } from './admin-error.ts';
import { adminRoute, ulidParam, type AdminDeps, type RouteList } from './admin-route.ts';
import { errorResponses } from './route-docs.ts';
import { userEmailKind } from './user-emails.ts';

const addBody = z
  .object({
    user_id: ulidSchema.meta({ description: 'The user to add the address to' }),
    email: z.string().meta({ description: 'The address', example: 'alice@example.com' }),
  })
  .meta({ id: 'AddUserEmailRequest' });

export function registerUserEmailWrites(
  app: FastifyInstance,
  deps: AdminDeps,
  routes: RouteList,
): void {
  const provision = async (repos: Repositories, userId: UserId) => {
    if (deps.config.matrix !== undefined) {
      await enqueueProvisionUser(repos.queue, deps.rng, deps.clock, userId);
    }
  };

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'POST',
      path: '/user-emails',
      operationId: 'addUserEmail',
      summary: 'Add a user email',
      tag: 'user-email',
      body: addBody,
      responses: {
        201: { description: 'The address was added', schema: singleResponseSchema(userEmailKind) },
        409: { description: 'The address is already in use', schema: errorResponseSchema },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, body }) => {
      const user = await repos.users.lookup(asUserId(body.user_id));
      if (user === null) throw notFound('User', body.user_id);
      const email = body.email.trim();
      if (!isPlausibleEmail(email)) throw new AdminError(400, `Email "${body.email}" is not valid`);
      if ((await repos.userEmails.count({ email })) > 0) {
        throw new AdminError(409, `User email "${email}" already in use`);
      }
      const added = await repos.userEmails.add(deps.rng, deps.clock, user, email);
      await provision(repos, user.id);
      return {
        status: 201,
        body: singleResponse(userEmailKind, added.id, {
          created_at: added.createdAt.toISOString(),
          user_id: added.userId,
          email: added.email,
        }),
      };
    },
  );

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'DELETE',
      path: '/user-emails/:id',
      operationId: 'deleteUserEmail',
      summary: 'Delete a user email',
      tag: 'user-email',
      parameters: [
        { name: 'id', in: 'path', description: 'The ID of the user email', schema: ulidSchema },
      ],
      responses: {
        204: { description: 'The address was removed' },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, params }) => {
      const id = ulidParam(params);
      const email = await repos.userEmails.lookup(asUserEmailId(id));
      if (email === null) throw notFound('User email', id);
      await repos.userEmails.remove(email);
      await provision(repos, email.userId);
      return { status: 204, body: undefined };
    },
  );
}
