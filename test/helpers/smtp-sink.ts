// A real SMTP server (the `smtp-server` package) on 127.0.0.1 that keeps every message it
// receives, for tests that send email through Gatehouse's real transports:
//
//   const sink = await startSmtpSink();                     // plain, no auth, a free port
//   ... configure `email: {transport: smtp, mode: plain, hostname: 127.0.0.1, port: sink.port}`
//   const message = await sink.waitForMessage((m) => m.to.includes('alice@example.com'));
//   const code = /\b(\d{6})\b/.exec(message.text)?.[1];
//   await sink.close();
//
// Options: `tls` {key, cert} offers STARTTLS (or, with `secure`, TLS from the first byte);
// `auth` {username, password} requires AUTH PLAIN/LOGIN; `port` binds a fixed port (to restart
// a sink where a stopped one was). Messages are decoded just enough for tests: headers, and the
// text and HTML parts (quoted-printable or base64).

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMessage {
  /** The envelope sender (MAIL FROM). */
  readonly envelopeFrom: string;
  /** The envelope recipients (RCPT TO). */
  readonly to: readonly string[];
  /** Header names lower-cased; unfolded values. */
  readonly headers: ReadonlyMap<string, string>;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly raw: string;
  /** Whether the session was TLS (STARTTLS or implicit). */
  readonly secure: boolean;
  /** The user that authenticated, if any. */
  readonly user: string | null;
}

export interface SmtpSinkOptions {
  readonly port?: number;
  readonly tls?: { readonly key: string; readonly cert: string };
  /** TLS from the first byte (needs `tls`). */
  readonly secure?: boolean;
  readonly auth?: { readonly username: string; readonly password: string };
}

export interface SmtpSink {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly messages: readonly ReceivedMessage[];
  /** Resolves with the first message (already received or to come) matching `predicate`. */
  waitForMessage(
    predicate?: (message: ReceivedMessage) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedMessage>;
  close(): Promise<void>;
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function splitEntity(raw: string): { headers: Map<string, string>; body: string } {
  const match = /\r?\n\r?\n/.exec(raw);
  if (match === null) return { headers: parseHeaders(raw), body: '' };
  return {
    headers: parseHeaders(raw.slice(0, match.index)),
    body: raw.slice(match.index + match[0].length),
  };
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const bytes = body
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => `%${hex}`);
      // Escape literal % first so decodeURIComponent only sees our escapes.
      return Buffer.from(
        decodeURIComponent(bytes.replace(/%(?![0-9A-Fa-f]{2})/g, '%25')),
        'utf8',
      ).toString('utf8');
    }
    default:
      return body;
  }
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?Q?...?=` / `=?UTF-8?B?...?=`). */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(
      /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g,
      (_m, _charset: string, kind: string, text: string) =>
        kind.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64').toString('utf8')
          : decodeBody(text.replace(/_/g, ' '), 'quoted-printable'),
    );
}

function collectParts(raw: string, out: { text: string; html: string }): void {
  const { headers, body } = splitEntity(raw);
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary !== undefined) {
    const parts = body.split(`--${boundary}`);
    for (const part of parts.slice(1)) {
      if (part.startsWith('--')) break;
      collectParts(part.replace(/^\r?\n/, ''), out);
    }
    return;
  }
  const decoded = decodeBody(body, headers.get('content-transfer-encoding'));
  if (/^text\/html/i.test(type)) out.html ||= decoded;
  else if (/^text\/plain/i.test(type)) out.text ||= decoded;
}

export function parseMessage(
  raw: string,
  envelope: { from: string; to: string[]; secure: boolean; user: string | null },
): ReceivedMessage {
  const { headers } = splitEntity(raw);
  const parts = { text: '', html: '' };
  collectParts(raw, parts);
  return {
    envelopeFrom: envelope.from,
    to: envelope.to,
    headers,
    subject: decodeWords(headers.get('subject') ?? ''),
    text: parts.text.replace(/\r\n/g, '\n'),
    html: parts.html.replace(/\r\n/g, '\n'),
    raw,
    secure: envelope.secure,
    user: envelope.user,
  };
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMessage[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    secure: options.secure ?? false,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    hideSTARTTLS: options.tls === undefined,
    authOptional: options.auth === undefined,
    allowInsecureAuth: options.tls === undefined,
    // Without `tls`, refuse STARTTLS outright (hiding it is not enough: smtp-server would still
    // upgrade with its built-in certificate when asked).
    disabledCommands: [
      ...(options.auth === undefined ? ['AUTH'] : []),
      ...(options.tls === undefined ? ['STARTTLS'] : []),
    ],
    logger: false,
    onAuth(auth, _session, callback) {
      if (
        options.auth !== undefined &&
        auth.username === options.auth.username &&
        auth.password === options.auth.password
      ) {
        callback(null, { user: auth.username });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        messages.push(
          parseMessage(Buffer.concat(chunks).toString('utf8'), {
            from: from === false ? '' : from.address,
            to: session.envelope.rcptTo.map((r) => r.address),
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : null,
          }),
        );
        for (const wake of waiters) wake();
        callback();
      });
    },
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    messages,
    waitForMessage(predicate = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = messages.find(predicate);
          if (found === undefined) return false;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(found);
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(
            new Error(`no matching message within ${timeoutMs} ms (${messages.length} received)`),
          );
        }, timeoutMs);
        waiters.add(wake);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
