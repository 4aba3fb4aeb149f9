// Outgoing email: transports and message rendering.
//
//   email-message.ts   what is sent: recipient, subject, text and HTML bodies
//   mail-transport.ts  `MailTransport` and the three transports of `email.transport`:
//                      blackhole, smtp (nodemailer), sendmail (nodemailer's sendmail transport)
//   mailer.ts          `Mailer`: adds `from`/`reply_to` and sends through the transport;
//                      `createMailer(config.email)` builds one from the configuration
//   email-renderer.ts  renders `templates/emails/<name>.{subject.txt,txt,html}` into a message
//
// To add a kind of email: write its three templates in templates/emails/, add samples for them
// to `emailTemplateSamples` in src/templates/template-samples.ts, and render it with
// `renderEmail(templates, '<name>', to, context, lang)` from the worker job that sends it.

export type { EmailMessage } from './email-message.ts';
export { renderEmail } from './email-renderer.ts';
export {
  BlackholeTransport,
  createMailTransport,
  MailConfigError,
  type MailTransport,
  type MailTransportOptions,
} from './mail-transport.ts';
export { createMailer, Mailer } from './mailer.ts';
