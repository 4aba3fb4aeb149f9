// Widening a page's Content-Security-Policy for a CAPTCHA widget: the provider's origins are added
// to the directives it needs, on the page that shows the widget only. A directive the policy does
// not have yet starts from `'self'` (what `default-src 'self'` gave it).

import type { CaptchaProvider } from './captcha-providers.ts';

export function cspWithCaptcha(csp: string, provider: CaptchaProvider): string {
  const directives = csp
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  for (const [name, sources] of Object.entries(provider.csp)) {
    if (sources.length === 0) continue;
    const index = directives.findIndex((d) => d === name || d.startsWith(`${name} `));
    if (index === -1) directives.push([name, "'self'", ...sources].join(' '));
    else directives[index] = [directives[index], ...sources].join(' ');
  }
  return directives.join('; ');
}
