// Server-side verification of a CAPTCHA answer (MAS: crates/handlers/src/captcha.rs): the form's
// widget answer is POSTed with the secret key (and the client IP) to the provider's verify URL,
// or to `captcha.verify_url` when set (a Gatehouse key, for self-hosted verifiers and tests). All
// three providers answer `{"success": true|false, …}`. A network failure or an answer that is not
// that JSON counts as "not verified", so a broken provider cannot let bots through.

import type { CaptchaConfig } from '../config/sections/captcha.ts';
import { CAPTCHA_PROVIDERS, type CaptchaProvider } from './captcha-providers.ts';

export type CaptchaOutcome =
  { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly detail: string };

/** The widget configuration a page needs, or null when no CAPTCHA is configured. */
export interface CaptchaWidget {
  readonly provider: CaptchaProvider;
  readonly siteKey: string;
}

const VERIFY_TIMEOUT_MS = 10_000;
const NOT_SOLVED = 'The CAPTCHA was not solved. Please try again.';

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
    return { ok: false, reason: NOT_SOLVED, detail: 'no answer in the form' };
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
      return { ok: false, reason: NOT_SOLVED, detail: `verifier answered HTTP ${response.status}` };
    }
    const json = (await response.json()) as { success?: unknown; 'error-codes'?: unknown };
    if (json.success === true) return { ok: true };
    return {
      ok: false,
      reason: NOT_SOLVED,
      detail: `verifier refused: ${JSON.stringify(json['error-codes'] ?? [])}`,
    };
  } catch (error) {
    return {
      ok: false,
      reason: 'The CAPTCHA could not be checked right now. Please try again.',
      detail: `verifier unreachable: ${(error as Error).message}`,
    };
  }
}
