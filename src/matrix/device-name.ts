// The display name a new Matrix device gets on the homeserver, as MAS's `device_name.txt`
// template words it: "<client name> on <device>", where <device> comes from the User-Agent: the
// phone model when there is one, else "<browser or app> for <platform>", else "Unknown device".
// A rough User-Agent reading is enough here: the name only helps people recognise their devices.

interface UserAgentInfo {
  readonly name: string | null;
  readonly os: string | null;
  readonly model: string | null;
}

/** Longest name sent (Synapse keeps device display names short; 100 is plenty for people). */
const MAX_LENGTH = 100;

const BROWSERS: readonly [RegExp, string][] = [
  [/\bElement\/|\bRiot\//, 'Element'],
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\//, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChrome\/|\bCriOS\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
  [/\bcurl\//, 'curl'],
];

const PLATFORMS: readonly [RegExp, string][] = [
  [/\biPhone\b|\biPad\b|\biOS\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b|\bmacOS\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

export function parseUserAgent(userAgent: string | null): UserAgentInfo {
  if (userAgent === null || userAgent.trim() === '') return { name: null, os: null, model: null };
  const name = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;
  const os = PLATFORMS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;
  // Android browsers say "Android 14; Pixel 8 Build/…" or "Android 14; Pixel 8)".
  const android = /\bAndroid [\d.]+; ([^;)]+?)(?: Build\/[^;)]*)?[;)]/.exec(userAgent);
  const model =
    android !== null && android[1] !== 'K' && android[1] !== 'wv' ? android[1]!.trim() : null;
  // Unknown apps: the first product token ("MyBot/1.2" → "MyBot").
  const product = /^([A-Za-z][\w.-]{0,40})\//.exec(userAgent)?.[1] ?? null;
  return { name: name ?? (product === 'Mozilla' ? null : product), os, model };
}

export function deviceDisplayName(clientName: string, userAgent: string | null): string {
  const ua = parseUserAgent(userAgent);
  const device =
    ua.model ??
    (ua.name !== null ? (ua.os !== null ? `${ua.name} for ${ua.os}` : ua.name) : 'Unknown device');
  const name = `${clientName} on ${device}`;
  return name.length <= MAX_LENGTH ? name : `${name.slice(0, MAX_LENGTH - 1)}…`;
}
