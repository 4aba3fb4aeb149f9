// What Gatehouse knows about each CAPTCHA service of `captcha.service`: where its answers are
// verified, which form field the widget fills, the widget's script and CSS class, and the origins
// the page's Content-Security-Policy must allow for the widget (only on pages that show it).
//
// To add a service: add its name to src/config/sections/captcha.ts and an entry here.

import type { CaptchaConfig } from '../config/sections/captcha.ts';

export type CaptchaService = NonNullable<CaptchaConfig['service']>;

export interface CaptchaProvider {
  /** Where the secret key and the widget's answer are POSTed (the provider's siteverify). */
  readonly verifyUrl: string;
  /** The form field the widget adds with its answer. */
  readonly responseField: string;
  readonly scriptUrl: string;
  /** The class of the element the script turns into the widget (it reads `data-sitekey`). */
  readonly widgetClass: string;
  /** Extra CSP sources, by directive, the widget needs. */
  readonly csp: Readonly<
    Record<'script-src' | 'frame-src' | 'style-src' | 'connect-src', readonly string[]>
  >;
}

export const CAPTCHA_PROVIDERS: Readonly<Record<CaptchaService, CaptchaProvider>> = {
  recaptcha_v2: {
    verifyUrl: 'https://www.google.com/recaptcha/api/siteverify',
    responseField: 'g-recaptcha-response',
    scriptUrl: 'https://www.google.com/recaptcha/api.js',
    widgetClass: 'g-recaptcha',
    csp: {
      'script-src': ['https://www.google.com/recaptcha/', 'https://www.gstatic.com/recaptcha/'],
      'frame-src': ['https://www.google.com/recaptcha/', 'https://recaptcha.google.com/recaptcha/'],
      'style-src': [],
      'connect-src': [],
    },
  },
  hcaptcha: {
    verifyUrl: 'https://api.hcaptcha.com/siteverify',
    responseField: 'h-captcha-response',
    scriptUrl: 'https://js.hcaptcha.com/1/api.js',
    widgetClass: 'h-captcha',
    csp: {
      'script-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
      'frame-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
      'style-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
      'connect-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
    },
  },
  cloudflare_turnstile: {
    verifyUrl: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
    responseField: 'cf-turnstile-response',
    scriptUrl: 'https://challenges.cloudflare.com/turnstile/v0/api.js',
    widgetClass: 'cf-turnstile',
    csp: {
      'script-src': ['https://challenges.cloudflare.com'],
      'frame-src': ['https://challenges.cloudflare.com'],
      'style-src': [],
      'connect-src': [],
    },
  },
};
