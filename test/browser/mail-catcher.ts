// A real SMTP server (the `smtp-server` package) on a free loopback port that keeps every message
// the browser tests make Gatehouse send, so they can read codes and links from them.
// (Replace with the shared test/helpers/smtp-sink.ts once it exists.)

import { SMTPServer } from 'smtp-server';
import { freePort } from '../helpers/postgres.ts';

export interface CaughtMail {
  readonly to: string[];
  /** The whole message, quoted-printable soft breaks and escapes decoded. */
  readonly text: string;
}

export interface MailCatcher {
  readonly port: number;
  readonly messages: CaughtMail[];
  /** The first message to `address` after the first `skip` ones, waiting up to `timeoutMs`. */
  waitFor(address: string, skip?: number, timeoutMs?: number): Promise<CaughtMail>;
  close(): Promise<void>;
}

function decodeQuotedPrintable(raw: string): string {
  return raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export async function startMailCatcher(): Promise<MailCatcher> {
  const messages: CaughtMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        messages.push({
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          text: decodeQuotedPrintable(Buffer.concat(chunks).toString('utf8')),
        });
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    messages,
    async waitFor(address, skip = 0, timeoutMs = 20_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const mine = messages.filter((m) => m.to.includes(address.toLowerCase()));
        if (mine.length > skip) return mine[skip]!;
        if (performance.now() > deadline) {
          throw new Error(
            `no email to ${address} within ${timeoutMs} ms (${messages.length} caught)`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
