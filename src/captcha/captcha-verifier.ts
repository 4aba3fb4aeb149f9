// Server-side verification of a CAPTCHA answer (MAS: crates/handlers/src/captcha.rs): the form's
// widget answer is POSTed with the secret key (and the client IP) to the provider's verify URL,
// or to `captcha.verify_url` when set (a Gatehouse key, for self-hosted verifiers and tests). All
// three providers answer `{"success": true|false, …}`. A network failure or an answer that is not
// that JSON counts as "not verified", so a broken provider cannot let bots through.

import type { CaptchaConfig } from '../config/sections/captcha.ts';
import { CAPTCHA_PROVIDERS, type CaptchaProvider } from './captcha-providers.ts';

/** Why an answer was refused: not solved (or refused), or the verifier could not be asked. */
export type CaptchaRefusalCode = 'not-solved' | 'unavailable';

export interface CaptchaRefusal {
  readonly ok: false;
  /** What the page says (in the reader's language: human/policy-messages.ts). */
  readonly code: CaptchaRefusalCode;
  /** The same in English, one line. */
  readonly reason: string;
  /** What happened, for the log only. */
  readonly detail: string;
}

export type CaptchaOutcome = { readonly ok: true } | CaptchaRefusal;

/** Each refusal in English. */
export const CAPTCHA_REFUSAL_TEXT: Readonly<Record<CaptchaRefusalCode, string>> = {
  'not-solved': 'The CAPTCHA was not solved. Please try again.',
  unavailable: 'The CAPTCHA could not be checked right now. Please try again.',
};

const refuse = (code: CaptchaRefusalCode, detail: string): CaptchaRefusal => ({
  ok: false,
  code,
  reason: CAPTCHA_REFUSAL_TEXT[code],
  detail,
});

/** The widget configuration a page needs, or null when no CAPTCHA is configured. */
export interface CaptchaWidget {
  readonly provider: CaptchaProvider;
  readonly siteKey: string;
}

const VERIFY_TIMEOUT_MS = 10_000;

export function captchaWidget(config: CaptchaConfig): CaptchaWidget | null {
  if (config.service === null || config.service === undefined) return null;
  return { provider: CAPTCHA_PROVIDERS[config.service], siteKey: config.site_key ?? '' };
}

export async function verifyCaptcha(
  config: CaptchaConfig & { readonly verify_url?: string | undefined },
  answer: string | undefined,
  remoteIp: string | null,
): Promise<CaptchaOutcome> {
  const widget = captchaWidget(config);
  if (widget === null) return { ok: true };
  if (answer === undefined || answer === '') {
    return refuse('not-solved', 'no answer in the form');
  }
  const body = new URLSearchParams({ secret: config.secret_key ?? '', response: answer });
  if (remoteIp !== null) body.set('remoteip', remoteIp);
  try {
    const response = await fetch(config.verify_url ?? widget.provider.verifyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(VERIFY_TIMEOUT_MS),
    });
    if (!response.ok) {
      return refuse('not-solved', `verifier answered HTTP ${response.status}`);
    }
    const json = (await response.json()) as { success?: unknown; 'error-codes'?: unknown };
    if (json.success === true) return { ok: true };
    return refuse('not-solved', `verifier refused: ${JSON.stringify(json['error-codes'] ?? [])}`);
  } catch (error) {
    return refuse('unavailable', `verifier unreachable: ${(error as Error).message}`);
  }
}
