// userAgentMessage: the session list's short names for common browsers, Matrix clients and
// systems, and the raw string (cut short) for anything else.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { userAgentMessage } from '../../../src/http/handlers/human/account-user-agent.ts';
import { englishText } from '../../../src/http/handlers/human/page-message.ts';

/** The name in English, as an English page shows it. */
function readableUserAgent(userAgent: string | null): string | null {
  const message = userAgentMessage(userAgent);
  return message === null ? null : englishText(message);
}

describe('userAgentMessage', () => {
  it('names well-known browsers and systems', () => {
    const cases: Array<[string, string]> = [
      [
        'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
        'Firefox on Linux',
      ],
      [
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
        'Edge on Windows',
      ],
      [
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
        'Safari on macOS',
      ],
      ['Element/1.6.10 (Android 14; Pixel 8)', 'Element on Android'],
      [
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1',
        'Chrome on iOS',
      ],
    ];
    for (const [raw, readable] of cases) assert.equal(readableUserAgent(raw), readable, raw);
  });

  it('keeps unknown agents, cut short, and has nothing for an empty one', () => {
    assert.equal(readableUserAgent('my-bot/1.0'), 'my-bot/1.0');
    const long = readableUserAgent(`x${'y'.repeat(200)}`)!;
    assert.ok(long.length <= 61 && long.endsWith('…'));
    assert.equal(readableUserAgent(null), null);
    assert.equal(readableUserAgent('  '), null);
  });

  it('names the browser and the system as variables of one translated sentence', () => {
    assert.deepEqual(userAgentMessage('Element/1.6.10 (Android 14; Pixel 8)'), {
      key: 'account.user_agent.on',
      vars: { browser: 'Element', system: 'Android' },
    });
  });
});
