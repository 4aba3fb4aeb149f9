// `GET /api/spec.json` (the OpenAPI 3.1 document generated from the declared routes) and
// `GET /api/doc/` (a small page that links it). Both are public, as in MAS. The interactive
// Swagger UI MAS serves there is not bundled yet; the page says where to point such a tool.

import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '../../../admin/openapi.ts';
import { ADMIN_PREFIX, type AdminDeps, type RouteList } from './admin-route.ts';

export const SPEC_PATH = '/api/spec.json';
export const DOC_PATH = '/api/doc/';

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

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
  app.get(DOC_PATH, async (_request, reply) => {
    const spec = escapeHtml(SPEC_PATH);
    const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Gatehouse Admin API</title></head>
<body>
<main>
<h1>Gatehouse Admin API</h1>
<p>The API lives under <code>${escapeHtml(ADMIN_PREFIX)}</code> and needs an OAuth 2.0 access token with the <code>urn:mas:admin</code> scope.</p>
<p>Its OpenAPI 3.1 description: <a href="${spec}">${spec}</a>. Load it in any OpenAPI viewer or client generator.</p>
</main>
</body>
</html>
`;
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
  });
}
