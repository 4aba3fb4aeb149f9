// `email` section: how outgoing email is sent: not at all (`blackhole`), through SMTP, or through a
// local sendmail binary.

import { z } from 'zod';
import { notBoth, port } from '../schema-kit.ts';

const DEFAULT_MAILBOX = '"Authentication Service" <root@localhost>';

/** `addr@host` or `Name <addr@host>` / `"Name" <addr@host>`, as a mail library parses a mailbox. */
export function isMailbox(value: string): boolean {
  const address = /^[^\s@<>"]+@[^\s@<>"]+$/;
  const named = /^(?:"(?:[^"\\]|\\.)*"|[^"<>]*?)\s*<([^<>]+)>$/.exec(value.trim());
  return named ? address.test(named[1]!) : address.test(value.trim());
}

const SMTP_ONLY = ['mode', 'hostname', 'port', 'username', 'password', 'password_file'] as const;

export const emailSchema = z
  .strictObject({
    from: z
      .string()
      .default(DEFAULT_MAILBOX)
      .describe('Sender mailbox of outgoing email, e.g. `"Example" <auth@example.com>`.'),
    reply_to: z.string().default(DEFAULT_MAILBOX).describe('Reply-To mailbox of outgoing email.'),
    transport: z
      .enum(['blackhole', 'smtp', 'sendmail'])
      .default('blackhole')
      .describe(
        'How to send email: `blackhole` (drop it), `smtp` (through a relay) or `sendmail` (local binary).',
      ),
    mode: z
      .enum(['plain', 'tls', 'starttls'])
      .optional()
      .describe(
        'SMTP only, required: `plain`, `tls` (TLS from the start) or `starttls` (upgrade after connecting).',
      ),
    hostname: z.string().min(1).optional().describe('SMTP only, required: host name of the relay.'),
    port: port(
      'SMTP only: port of the relay. Default: 25 for plain, 465 for tls, 587 for starttls.',
    ).optional(),
    username: z
      .string()
      .optional()
      .describe('SMTP only: user name; needs `password` or `password_file`.'),
    password: z.string().optional().describe('SMTP only: password; needs `username`.'),
    password_file: z.string().optional().describe('SMTP only: file holding `password`.'),
    command: z
      .string()
      .min(1)
      .optional()
      .describe('sendmail only: command to run. Default: `sendmail`.'),
  })
  .superRefine((value, ctx) => {
    const issue = (key: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [key], message });
    if (value.transport === 'blackhole') return;
    for (const key of ['from', 'reply_to'] as const) {
      if (!isMailbox(value[key]))
        issue(key, 'must be an email address, optionally with a name: `"Name" <user@example.com>`');
    }
    if (value.transport === 'smtp') {
      notBoth(value, ctx, 'password', 'password_file');
      const hasPassword = value.password !== undefined || value.password_file !== undefined;
      if (value.username !== undefined && !hasPassword)
        issue('password', 'required with `username`');
      if (value.username === undefined && hasPassword)
        issue('username', 'required with `password`');
      if (value.mode === undefined) issue('mode', 'required with the smtp transport');
      if (value.hostname === undefined) issue('hostname', 'required with the smtp transport');
      if (value.command !== undefined) issue('command', 'only used by the sendmail transport');
    } else {
      for (const key of SMTP_ONLY) {
        if (value[key] !== undefined) issue(key, 'only used by the smtp transport');
      }
    }
  })
  .describe('Outgoing email.');

export type EmailConfig = z.infer<typeof emailSchema>;
