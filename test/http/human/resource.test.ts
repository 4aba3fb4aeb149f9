// The `human` resource in a process without an application context (no database, no secrets):
// it is announced in the log and not mounted, while the listener's other resources still serve.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { request, startTestServers, tcpListener } from '../http-test-kit.ts';

it('warns and mounts nothing when there is no application context', async () => {
  const t = await startTestServers(tcpListener([{ name: 'human' }, { name: 'health' }]));
  try {
    assert.equal((await request(t.address(), '/health')).status, 200);
    assert.equal((await request(t.address(), '/login')).status, 404);
    assert.ok(
      t.logs.lines.some(
        (l) => l.level === 'warn' && /resource human needs the application context/.test(l.msg),
      ),
      t.logs.text,
    );
  } finally {
    await t.close();
  }
});
