// One outgoing email, as rendered from templates: the mailer adds the sender and Reply-To.

export interface EmailMessage {
  /** One recipient address. */
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}
