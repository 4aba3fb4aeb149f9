// `assets` resource: static files under `/assets/` from the configured directory (else Gatehouse's
// own). File names carry a content hash, so a found file is cached for a year and never
// revalidated; a missing one is cached for five minutes (MAS's policy). When the client accepts
// them, precompressed `.br` / `.gz` siblings are sent instead of the file itself.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../telemetry/logger.ts';
import { sendNotFound } from '../error-handlers.ts';

const FOUND_CACHE_CONTROL = 'public, max-age=31536000, immutable';
const MISSING_CACHE_CONTROL = 'public, max-age=300';

export function assetsResource(path: string, logger: Logger): FastifyPluginAsync {
  const root = resolve(path);
  if (!existsSync(root))
    logger.warn({ path: root }, 'assets directory does not exist: /assets/ will answer 404');
  return async (app) => {
    await app.register(
      async (scope) => {
        scope.setNotFoundHandler((_request, reply) =>
          sendNotFound(reply.header('cache-control', MISSING_CACHE_CONTROL)),
        );
        await scope.register(fastifyStatic, {
          root,
          prefix: '/',
          preCompressed: true,
          index: false,
          list: false,
          serveDotFiles: false,
          dotfiles: 'ignore',
          decorateReply: false,
          cacheControl: false,
          setHeaders: (reply) => reply.header('cache-control', FOUND_CACHE_CONTROL),
        });
      },
      { prefix: '/assets' },
    );
  };
}
