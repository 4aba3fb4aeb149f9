// A user agent string made readable for the session list: "Firefox on Linux", "Element on
// Android", or the raw string cut short when nothing is recognised. Only the well-known browsers,
// Matrix clients and systems are named: this is a hint for people, not a device database.

import { pageMessage, type PageMessage } from './page-message.ts';

const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bElement\b/, 'Element'],
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\bFirefox\//, 'Firefox'],
  [/\bFxiOS\//, 'Firefox'],
  [/\bCriOS\//, 'Chrome'],
  [/\bChrom(?:e|ium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/\bcurl\//, 'curl'],
];

const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bAndroid\b/, 'Android'],
  [/\b(?:iPhone|iPad|iPod)\b|\biOS\b/, 'iOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b|\bmacOS\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

const MAX_RAW = 60;

/**
 * A short readable name for `userAgent`, as a message for a page: "Firefox on Linux" in the
 * reader's language, or the agent's own text (cut short) when the browser or the system is not
 * recognised; null when there is none.
 */
export function userAgentMessage(userAgent: string | null): PageMessage | null {
  if (userAgent === null || userAgent.trim() === '') return null;
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;
  if (browser !== null && system !== null) {
    return pageMessage('account.user_agent.on', { browser, system });
  }
  if (browser !== null) return pageMessage('account.user_agent.other', { text: browser });
  const raw = userAgent.trim();
  const cut = raw.length > MAX_RAW ? `${raw.slice(0, MAX_RAW)}…` : raw;
  return pageMessage('account.user_agent.other', {
    text: system !== null ? `${cut} (${system})` : cut,
  });
}
