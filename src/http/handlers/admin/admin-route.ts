// How an Admin API route is declared and served. `adminRoute` registers the declaration (which
// also feeds /api/spec.json) and wraps the handler in the shared steps: parse the body with its
// schema → one transaction: authenticate the admin token, run the handler → answer with
// `Cache-Control: no-store`, errors mapped in admin-error.ts. Handlers only load, check and mutate.

import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { RouteDeclaration } from '../../../admin/openapi.ts';
import { BadAdminRequest, type Query } from '../../../admin/pagination.ts';
import { isUlid } from '../../../admin/ids.ts';
import type { Clock } from '../../../clock.ts';
import type { RootConfig } from '../../../config/root.ts';
import type { Rng } from '../../../rng.ts';
import type { PasswordManager } from '../../../crypto/password-manager.ts';
import type { Repositories, Storage } from '../../../storage/storage.ts';
import type { Logger } from '../../../telemetry/logger.ts';
import { authenticateAdmin, bearerToken, type AdminCaller } from './admin-auth.ts';
import { sendAdminError } from './admin-error.ts';

export const ADMIN_PREFIX = '/api/admin/v1';

export interface AdminDeps {
  readonly config: RootConfig;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly passwords: PasswordManager;
  readonly logger: Logger;
  readonly version: string;
}

export interface AdminCall<B> {
  readonly repos: Repositories;
  /** The caller's session: an OAuth 2.0 session, or a personal session (`mpt_` token). */
  readonly admin: AdminCaller;
  readonly query: Query;
  readonly params: Readonly<Record<string, string>>;
  readonly body: B;
}

export interface AdminAnswer {
  readonly status?: number;
  readonly body: unknown;
}

/** Declared routes with their full paths, in order: the OpenAPI document is built from it. */
export type RouteList = RouteDeclaration[];

/** A path parameter that must be a ULID: 400 when malformed, before any database access. */
export function ulidParam(params: Readonly<Record<string, string>>, name = 'id'): string {
  const value = params[name] ?? '';
  if (!isUlid(value)) throw new BadAdminRequest(`Invalid ID: ${value}`);
  return value.toUpperCase();
}

/**
 * Registers `declaration` under the admin prefix. `prepare` runs before the transaction (hashing
 * a password, say) and its result reaches the handler as `body`.
 */
export function adminRoute<S extends z.ZodType, B = z.infer<S>>(
  app: FastifyInstance,
  deps: AdminDeps,
  routes: RouteList,
  declaration: RouteDeclaration & { body?: S },
  handler: (call: AdminCall<B>) => Promise<AdminAnswer>,
  prepare?: (body: z.infer<S>) => Promise<B>,
): void {
  const url = ADMIN_PREFIX + declaration.path;
  routes.push({ ...declaration, path: url });
  app.route({
    method: declaration.method,
    url,
    handler: async (request, reply) => {
      try {
        const token = bearerToken(request.headers.authorization);
        let body: unknown = undefined;
        if (declaration.body !== undefined) {
          const parsed = declaration.body.safeParse(request.body ?? {});
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            const where =
              issue === undefined || issue.path.length === 0 ? '' : ` (${issue.path.join('.')})`;
            throw new BadAdminRequest(
              `Invalid request body${where}: ${issue?.message ?? 'malformed'}`,
            );
          }
          if (prepare === undefined) body = parsed.data;
          else {
            // Costly preparation (password hashing) only for an admin, and outside the
            // transaction that writes: the token is checked once more in it.
            await deps.storage.transaction((repos) =>
              authenticateAdmin(repos, token, deps.clock.now()),
            );
            body = await prepare(parsed.data);
          }
        }
        const answer = await deps.storage.transaction(async (repos) => {
          const admin = await authenticateAdmin(repos, token, deps.clock.now());
          return handler({
            repos,
            admin,
            query: request.query as Query,
            params: request.params as Record<string, string>,
            body: body as B,
          });
        });
        return reply
          .code(answer.status ?? 200)
          .header('cache-control', 'no-store')
          .send(answer.body);
      } catch (error) {
        return sendAdminError(reply, error, deps.logger);
      }
    },
  });
}
