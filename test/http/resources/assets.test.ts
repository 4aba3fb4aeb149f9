import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { request, startTestServers, tcpListener, type TestServers } from '../http-test-kit.ts';

const js = 'console.log("hello from an asset");\n'.repeat(20);
let dir: string;
let t: TestServers;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-assets-'));
  writeFileSync(join(dir, 'app-abc123.js'), js);
  writeFileSync(join(dir, 'app-abc123.js.br'), brotliCompressSync(js));
  writeFileSync(join(dir, 'app-abc123.js.gz'), gzipSync(js));
  writeFileSync(join(dir, 'plain.css'), 'body{}');
  writeFileSync(join(dir, '.secret'), 'hidden');
  t = await startTestServers(tcpListener([{ name: 'assets' }]), { assetsDefaultPath: dir });
});

after(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('assets resource', () => {
  it('serves a file with year-long immutable caching', async () => {
    const res = await request(t.address(), '/assets/plain.css');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'body{}');
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(res.headers['content-type']), /^text\/css/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('picks the precompressed variant the client accepts', async () => {
    const br = await request(t.address(), '/assets/app-abc123.js', {
      headers: { 'accept-encoding': 'gzip, br' },
    });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.deepEqual(br.body, brotliCompressSync(js));
    assert.match(String(br.headers.vary), /accept-encoding/i);
    assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');

    const gz = await request(t.address(), '/assets/app-abc123.js', {
      headers: { 'accept-encoding': 'gzip' },
    });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gz.body, gzipSync(js));

    const identity = await request(t.address(), '/assets/app-abc123.js', {
      headers: { 'accept-encoding': 'identity' },
    });
    assert.equal(identity.headers['content-encoding'], undefined);
    assert.equal(identity.text, js);
  });

  it('caches a missing asset for five minutes', async () => {
    for (const path of ['/assets/nope.js', '/assets/.secret']) {
      const res = await request(t.address(), path);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers['cache-control'], 'public, max-age=300', path);
      assert.deepEqual(JSON.parse(res.text), { error: 'not_found' });
    }
    // Climbing out of the directory is refused, with no file content.
    const escape = await request(t.address(), '/assets/../../etc/passwd');
    assert.ok(escape.status === 403 || escape.status === 404, String(escape.status));
    assert.doesNotMatch(escape.text, /root:/);
    // Outside /assets/, a 404 is not cached.
    const other = await request(t.address(), '/elsewhere');
    assert.equal(other.status, 404);
    assert.equal(other.headers['cache-control'], undefined);
  });

  it('uses the resource `path` over the default', async () => {
    const own = mkdtempSync(join(tmpdir(), 'gh-assets-own-'));
    writeFileSync(join(own, 'only-here.txt'), 'mine');
    const s = await startTestServers(tcpListener([{ name: 'assets', path: own }]), {
      assetsDefaultPath: dir,
    });
    try {
      assert.equal((await request(s.address(), '/assets/only-here.txt')).text, 'mine');
      assert.equal((await request(s.address(), '/assets/plain.css')).status, 404);
    } finally {
      await s.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});
