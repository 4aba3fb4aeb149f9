// `GET /api/spec.json` (the OpenAPI 3.1 document generated from the declared routes) and
// `GET /api/doc/`, Swagger UI on that document (as MAS serves it). Both are public, as in MAS.
//
// Swagger UI comes from the `swagger-ui-dist` package: its stylesheet, bundle and icon are served
// from the package's directory under /api/doc/ (read once, kept in memory, gzipped once for clients
// that accept it). The page's strict CSP forbids inline scripts, so the few lines that start
// Swagger UI are a script of their own (/api/doc/initializer.js). Every URL in the page is
// relative, so the docs work under a listener's path prefix too.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '../../../admin/openapi.ts';
import type { AdminDeps, RouteList } from './admin-route.ts';

export const SPEC_PATH = '/api/spec.json';
export const DOC_PATH = '/api/doc/';

/** Swagger UI sets inline style attributes and draws icons from data: URLs; nothing else is allowed. */
export const DOC_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The package files the page loads, with their types. */
const SWAGGER_FILES: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Not content-hashed: cached for an hour, so an upgrade shows within one. */
const ASSET_CACHE_CONTROL = 'public, max-age=3600';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse Admin API</title>
<link rel="stylesheet" href="swagger-ui.css">
<link rel="icon" type="image/png" href="favicon-32x32.png">
</head>
<body>
<noscript><p>This page needs JavaScript. The OpenAPI document itself is at <a href="../spec.json">../spec.json</a>.</p></noscript>
<div id="swagger-ui"></div>
<script src="swagger-ui-bundle.js"></script>
<script src="initializer.js"></script>
</body>
</html>
`;

const INITIALIZER = `// Starts Swagger UI on the Admin API's OpenAPI document (served by Gatehouse).
window.addEventListener('DOMContentLoaded', function () {
  window.ui = SwaggerUIBundle({
    url: new URL('../spec.json', window.location.href).href,
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  gzipped?: Buffer;
}

/** The directory of the installed swagger-ui-dist package. */
function swaggerUiDirectory(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

export function registerApiDocs(
  app: FastifyInstance,
  deps: AdminDeps & { readonly serverUrl: string },
  routes: RouteList,
): void {
  // Built on first request: every route is registered by then.
  let document: Record<string, unknown> | null = null;
  app.get(SPEC_PATH, async (_request, reply) => {
    document ??= openApiDocument(
      { title: 'Gatehouse Admin API', version: deps.version, serverUrl: deps.serverUrl },
      routes,
    );
    return reply.header('cache-control', 'no-store').send(document);
  });

  app.get('/api/doc', async (_request, reply) => reply.redirect('doc/', 301));
  app.get(DOC_PATH, async (_request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .header('content-security-policy', DOC_CONTENT_SECURITY_POLICY)
      .type('text/html; charset=utf-8')
      .send(PAGE),
  );

  const assets = new Map<string, Asset>([
    ['initializer.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(INITIALIZER) }],
  ]);
  let directory: string | null = null;
  const asset = (name: string): Asset => {
    let found = assets.get(name);
    if (found === undefined) {
      // Read when first asked for: most processes never serve the docs.
      directory ??= swaggerUiDirectory();
      found = { type: SWAGGER_FILES[name]!, body: readFileSync(join(directory, name)) };
      assets.set(name, found);
    }
    return found;
  };
  for (const name of ['initializer.js', ...Object.keys(SWAGGER_FILES)]) {
    app.get(`${DOC_PATH}${name}`, async (request, reply) => {
      const file = asset(name);
      reply
        .header('cache-control', ASSET_CACHE_CONTROL)
        .header('vary', 'accept-encoding')
        .type(file.type);
      const accepts = request.headers['accept-encoding'];
      if (
        !file.type.startsWith('image/') &&
        typeof accepts === 'string' &&
        /\bgzip\b/.test(accepts)
      ) {
        file.gzipped ??= gzipSync(file.body);
        return reply.header('content-encoding', 'gzip').send(file.gzipped);
      }
      return reply.send(file.body);
    });
  }
}
