// A fake CAPTCHA siteverify endpoint on 127.0.0.1 for the tests: it accepts the answer `good`
// with the secret `the-secret`, answers HTTP 500 to `broken`, refuses anything else, and records
// every form it was sent.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fake verifier: `good` is the one answer it accepts; it records what it was sent. */
export async function startFakeVerifier(): Promise<{
  url: string;
  seen: URLSearchParams[];
  close(): Promise<void>;
}> {
  const seen: URLSearchParams[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      seen.push(form);
      if (form.get('response') === 'broken') {
        response.writeHead(500).end('oops');
        return;
      }
      const success = form.get('secret') === 'the-secret' && form.get('response') === 'good';
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify(
            success ? { success } : { success, 'error-codes': ['invalid-input-response'] },
          ),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/siteverify`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
