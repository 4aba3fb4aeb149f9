// Makes sure Debian's Chromium is at /usr/bin/chromium, for the real-browser test suite
// (test/browser/), installing the package when it is missing (see ./apt-install.ts). Only the first
// run takes minutes.
//
//   node scripts/ensure-chromium.ts      prints the browser's path on the last line
//
// Also imported by the browser tests (`ensureChromium()` in their `before`), so `npm test` works on
// a fresh machine instead of relying on a browser that happens to be installed.

import { aptEnsurer, printEnsured } from './apt-install.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The path of an executable Chromium, installing Debian's package first when needed. */
export const ensureChromium = aptEnsurer({
  path: CHROMIUM_PATH,
  pkg: 'chromium',
  waitNote: ' (takes a few minutes)',
});

if (import.meta.main) await printEnsured(ensureChromium);
