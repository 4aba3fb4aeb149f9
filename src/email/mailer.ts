// `Mailer`: the one object jobs send email through. It adds the configured sender (`email.from`)
// and Reply-To (`email.reply_to`) to a rendered message and hands it to the transport.

import type { EmailConfig } from '../config/sections/email.ts';
import type { EmailMessage } from './email-message.ts';
import {
  createMailTransport,
  type MailTransport,
  type MailTransportOptions,
} from './mail-transport.ts';

export class Mailer {
  readonly from: string;
  readonly replyTo: string;
  readonly #transport: MailTransport;

  constructor(transport: MailTransport, from: string, replyTo: string) {
    this.#transport = transport;
    this.from = from;
    this.replyTo = replyTo;
  }

  /** Where mail goes, for logs (`blackhole`, `smtp://host:587 (starttls)`, ...). */
  get description(): string {
    return this.#transport.description;
  }

  /** Sends one message; throws when the transport refuses it (the job is then retried). */
  send(message: EmailMessage): Promise<void> {
    return this.#transport.send({
      from: this.from,
      replyTo: this.replyTo,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  }

  /** Start-up check: connects (and authenticates) to the SMTP relay; throws when it cannot. */
  verify(): Promise<void> {
    return this.#transport.verify();
  }

  close(): void {
    this.#transport.close();
  }
}

/** The mailer `email` configures. Throws `MailConfigError` for an unreadable password file. */
export function createMailer(config: EmailConfig, options: MailTransportOptions = {}): Mailer {
  return new Mailer(createMailTransport(config, options), config.from, config.reply_to);
}
