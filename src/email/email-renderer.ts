// Renders one kind of email from its three templates, `emails/<name>.subject.txt`,
// `emails/<name>.txt` and `emails/<name>.html`, through the app's `Templates` (so
// `templates.path` overrides them like pages, and translations apply). Autoescaping is on for
// every template: the text templates mark the values they print with `| safe`, since a text
// body must show `&` in a link as `&`, not `&amp;`.

import type { Templates } from '../templates/templates.ts';
import type { EmailMessage } from './email-message.ts';

export function renderEmail(
  templates: Templates,
  name: string,
  to: string,
  context: object,
  lang: string,
): EmailMessage {
  const withLang = { ...context, lang };
  // A subject is one line, whatever the template's whitespace.
  const subject = templates
    .render(`emails/${name}.subject.txt`, withLang)
    .replace(/\s+/g, ' ')
    .trim();
  return {
    to,
    subject,
    text: templates.render(`emails/${name}.txt`, withLang),
    html: templates.render(`emails/${name}.html`, withLang),
  };
}
