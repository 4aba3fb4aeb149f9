// POST /_matrix/client/{v3,r0}/logout and …/logout/all (MAS: compat/logout.rs, logout_all.rs).
//
// /logout ends the compat session of the access token (its tokens are revoked with it). /logout/all
// ends every compat session of the user, and only when the body says
// `{"io.element.only_compat_is_fine": true}`: without it a client would believe all its sessions
// ended while OAuth 2.0 sessions live on, so MAS answers 404 `M_UNRECOGNIZED` and so do we.
// The ended sessions' cached introspections go at once (here and, on PostgreSQL, on every node).
// The ended sessions' devices are removed from the homeserver by a `sync-devices` job queued in the
// same transaction (as MAS), which retries while the homeserver is unreachable.

import type { FastifyInstance } from 'fastify';
import { enqueueSyncDevices } from '../../../storage/matrix-jobs.ts';
import {
  authenticateCompatToken,
  bearerToken,
  type CompatDeps,
  type JsonObject,
} from './compat-request.ts';
import { CLIENT_PREFIXES } from './login.ts';
import { sendMatrixError, unrecognized } from './matrix-error.ts';

const ONLY_COMPAT_IS_FINE = 'io.element.only_compat_is_fine';

/** The body as a JSON object, or {} when empty or not an object (logout bodies are optional). */
function lenientBody(raw: unknown): JsonObject {
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as JsonObject)
      : {};
  } catch {
    return {};
  }
}

export function registerLogout(app: FastifyInstance, deps: CompatDeps): void {
  for (const prefix of CLIENT_PREFIXES) {
    app.post(`${prefix}/logout`, async (request, reply) => {
      try {
        const token = bearerToken(request);
        await deps.storage.transaction(async (repos) => {
          const caller = await authenticateCompatToken(repos, deps.clock, token);
          await repos.compatSessions.finish(deps.clock, caller.session);
          await deps.introspectionCache?.invalidate({ session: caller.session.id });
          await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, caller.user.id);
        });
        return reply.header('cache-control', 'no-store').send({});
      } catch (error) {
        return sendMatrixError(reply, error, request.log);
      }
    });

    app.post(`${prefix}/logout/all`, async (request, reply) => {
      try {
        if (lenientBody(request.body)[ONLY_COMPAT_IS_FINE] !== true) throw unrecognized();
        const token = bearerToken(request);
        await deps.storage.transaction(async (repos) => {
          const caller = await authenticateCompatToken(repos, deps.clock, token);
          const sessions = await repos.compatSessions.listActiveForUser(caller.user.id);
          for (const session of sessions) await repos.compatSessions.finish(deps.clock, session);
          await deps.introspectionCache?.invalidate(
            ...sessions.map((session) => ({ session: session.id })),
          );
          await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, caller.user.id);
        });
        return reply.header('cache-control', 'no-store').send({});
      } catch (error) {
        return sendMatrixError(reply, error, request.log);
      }
    });
  }
}
