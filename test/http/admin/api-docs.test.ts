// The Admin API's documentation: /api/doc/ is Swagger UI (from swagger-ui-dist) on /api/spec.json,
// with its stylesheet, bundle, icon and initializer served beside it (types, caching, gzip) under
// a CSP without inline scripts; and, in a real Chromium, Swagger UI lists the API's operations.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { INSTALL_TIMEOUT_MS, launchChromium } from '../../browser/browser-kit.ts';
import { startAdminApp, type AdminApp } from './admin-app.ts';

const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

describe('admin API docs page', () => {
  let a: AdminApp;
  before(async () => {
    a = await startAdminApp();
  });
  after(() => a.close());

  const get = (url: string, headers: Record<string, string> = {}) =>
    a.h.app.inject({ method: 'GET', url, headers });

  it('serves Swagger UI with a strict CSP and relative URLs only', async () => {
    const page = await get('/api/doc/');
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    const csp = page.headers['content-security-policy'] as string;
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    // No inline script: every <script> loads a file.
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.deepEqual(
      scripts.map((m) => [m[1]!.trim(), m[2]]),
      [
        ['src="swagger-ui-bundle.js"', ''],
        ['src="initializer.js"', ''],
      ],
    );
    assert.match(page.body, /<link rel="stylesheet" href="swagger-ui.css">/);
    const redirect = await get('/api/doc');
    assert.equal(redirect.statusCode, 301);
    assert.equal(redirect.headers.location, 'doc/');
  });

  it('serves the assets with their types, cacheable, gzipped when asked', async () => {
    for (const [name, type] of [
      ['swagger-ui.css', 'text/css; charset=utf-8'],
      ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
      ['favicon-32x32.png', 'image/png'],
    ] as const) {
      const plain = await get(`/api/doc/${name}`);
      assert.equal(plain.statusCode, 200, name);
      assert.equal(plain.headers['content-type'], type, name);
      assert.equal(plain.headers['cache-control'], 'public, max-age=3600');
      assert.deepEqual(plain.rawPayload, readFileSync(join(swaggerDir, name)), name);
    }
    const gzipped = await get('/api/doc/swagger-ui-bundle.js', { 'accept-encoding': 'gzip, br' });
    assert.equal(gzipped.headers['content-encoding'], 'gzip');
    assert.deepEqual(
      gunzipSync(gzipped.rawPayload),
      readFileSync(join(swaggerDir, 'swagger-ui-bundle.js')),
    );
    const init = await get('/api/doc/initializer.js');
    assert.equal(init.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(init.body, /SwaggerUIBundle\(/);
    assert.match(init.body, /'\.\.\/spec\.json'/);
    // Only the files the page loads: not the package's own index or its petstore initializer.
    for (const name of [
      'index.html',
      'swagger-initializer.js',
      '../spec.json.map',
      'package.json',
    ]) {
      assert.equal((await get(`/api/doc/${name}`)).statusCode, 404, name);
    }
  });
});

describe('admin API docs page in Chromium', () => {
  let a: AdminApp;
  let browser: Browser;
  let server: Server;
  let origin: string;
  before(
    async () => {
      [a, browser] = await Promise.all([startAdminApp(), launchChromium()]);
      // The test app answers through its router (no listener of its own): serve it on a port.
      server = createServer((request, response) => a.h.app.routing(request, response));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    { timeout: INSTALL_TIMEOUT_MS },
  );
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await a?.close();
  });

  it('renders the list of operations from /api/spec.json', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${origin}/api/doc/`);
    const operation = page.locator('#operations-user-listUsers');
    await operation.waitFor({ timeout: 30_000 });
    assert.match(await operation.innerText(), /\/api\/admin\/v1\/users/);
    assert.ok((await page.locator('.opblock').count()) > 20, 'every operation is listed');
    assert.ok(await page.locator('#operations-policy-data-setPolicyData').isVisible());
    assert.deepEqual(problems, []);
  });
});
