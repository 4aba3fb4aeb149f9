// The transports of `email.transport` (MAS `crates/email/src/transport.rs`):
//   - `blackhole`: drops every message (the default: nothing leaves a test or a fresh install);
//   - `smtp`: a relay, `mode` plain (no TLS at all), tls (TLS from the first byte, port 465) or
//     starttls (upgrade required, port 587); optional username/password;
//   - `sendmail`: pipes the message to a local binary (`command`, default `sendmail`), which gets
//     `-i -f <from> -- <recipients>` and the message on stdin.
// nodemailer does the protocol work; this file only maps the configuration onto it. nodemailer is
// imported on the first send or verify (it is ~25 MB of code and heap, and most servers never mail
// or mail from the worker only), so the configuration is checked at once but loaded on demand.

import { isIP } from 'node:net';
import type nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { EmailConfig } from '../config/sections/email.ts';
import { readInlineOrFile } from '../config/secret-file.ts';

/** A fully addressed message, as the mailer hands it to a transport. */
export interface OutgoingMail {
  readonly from: string;
  readonly replyTo: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MailTransport {
  /** Short description for logs: `blackhole`, `smtp://host:port (starttls)`, `sendmail (cmd)`. */
  readonly description: string;
  send(mail: OutgoingMail): Promise<void>;
  /** Checks that mail can be sent (connects and authenticates for SMTP); throws when not. */
  verify(): Promise<void>;
  close(): void;
}

/** The email configuration cannot be used (an unreadable password file). One line. */
export class MailConfigError extends Error {
  override readonly name = 'MailConfigError';
}

export interface MailTransportOptions {
  /**
   * Extra certificate authorities (PEM) trusted for SMTP TLS, besides the system ones. For tests
   * and private relays; operators may also use NODE_EXTRA_CA_CERTS.
   */
  readonly tlsCa?: string;
  /** Connection, greeting and socket timeouts of SMTP, in ms. Default 30 s. */
  readonly smtpTimeoutMs?: number;
}

/** Drops every message. */
export class BlackholeTransport implements MailTransport {
  readonly description = 'blackhole';
  async send(): Promise<void> {}
  async verify(): Promise<void> {}
  close(): void {}
}

const DEFAULT_SMTP_PORTS = { plain: 25, tls: 465, starttls: 587 } as const;

/** nodemailer's `createTransport` options (its own types are a union of every transport's). */
type TransportOptions = Parameters<typeof nodemailer.createTransport>[0];

/** A nodemailer transporter behind `MailTransport`, created on first use. */
class NodemailerTransport implements MailTransport {
  readonly description: string;
  readonly #options: TransportOptions;
  readonly #canVerify: boolean;
  #transporter: Promise<Transporter> | null = null;
  #closed = false;

  constructor(description: string, options: TransportOptions, canVerify: boolean) {
    this.description = description;
    this.#options = options;
    this.#canVerify = canVerify;
  }

  #get(): Promise<Transporter> {
    this.#transporter ??= import('nodemailer').then((m) =>
      m.default.createTransport(this.#options),
    );
    return this.#transporter;
  }

  async send(mail: OutgoingMail): Promise<void> {
    const transporter = await this.#get();
    await transporter.sendMail({
      from: mail.from,
      replyTo: mail.replyTo,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
    });
  }

  async verify(): Promise<void> {
    if (this.#canVerify) await (await this.#get()).verify();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Nothing to close when no message was ever sent.
    void this.#transporter?.then((t) => t.close()).catch(() => {});
  }
}

export function createMailTransport(
  config: EmailConfig,
  options: MailTransportOptions = {},
): MailTransport {
  switch (config.transport) {
    case 'blackhole':
      return new BlackholeTransport();
    case 'sendmail': {
      const command = config.command ?? 'sendmail';
      const transporter: TransportOptions = {
        sendmail: true,
        path: command,
        newline: 'unix',
      };
      // Nothing to check before the first message: a missing binary shows up as a failed send.
      return new NodemailerTransport(`sendmail (${command})`, transporter, false);
    }
    case 'smtp': {
      const mode = config.mode ?? 'starttls';
      const hostname = config.hostname ?? 'localhost';
      const port = config.port ?? DEFAULT_SMTP_PORTS[mode];
      let password: string | undefined;
      try {
        password = readInlineOrFile(config.password, config.password_file);
      } catch (error) {
        throw new MailConfigError(
          `email.password_file: cannot read ${config.password_file}: ${(error as Error).message}`,
        );
      }
      const timeout = options.smtpTimeoutMs ?? 30_000;
      const transporter: TransportOptions = {
        host: hostname,
        port,
        secure: mode === 'tls',
        requireTLS: mode === 'starttls',
        ignoreTLS: mode === 'plain',
        auth: config.username === undefined ? undefined : { user: config.username, pass: password },
        tls: {
          // SNI carries host names only (RFC 6066); the certificate is still checked for an IP.
          ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
          ...(options.tlsCa === undefined ? {} : { ca: options.tlsCa }),
        },
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
      };
      return new NodemailerTransport(`smtp://${hostname}:${port} (${mode})`, transporter, true);
    }
  }
}
