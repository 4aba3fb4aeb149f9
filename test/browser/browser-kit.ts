// What the real-browser tests share: Debian's Chromium driven by playwright-core (installed on
// first use by scripts/ensure-chromium.ts), a `Visitor` that records every page it sees — a
// screenshot in test-artifacts/screenshots/<test>/<step>.png, an axe-core accessibility check (no
// `serious` or `critical` violations), and a phone-width check (no horizontal scroll at 375 px) —
// and a stand-in for the client app: requests to APP_ORIGIN are answered by the test, never sent
// to the network, so the browser "lands" on the client's redirect URI.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureChromium } from '../../scripts/ensure-chromium.ts';
import { APP_ORIGIN } from '../e2e/harness.ts';

export const SCREENSHOTS_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  'test-artifacts',
  'screenshots',
);

/** First install of Chromium takes minutes; give `before` this long. */
export const INSTALL_TIMEOUT_MS = 15 * 60_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Chromium with a fresh profile (playwright-core's `launch` makes a new temporary user-data-dir
 * for every browser and deletes it on close).
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromium((line) => console.error(`# ${line}`));
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** `Some test name!` → `some-test-name`: a folder name for its screenshots. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** Runs axe-core in the page (evaluated through DevTools, so the page's strict CSP allows it). */
export async function accessibilityViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe);
  if (loaded !== 'object') await page.evaluate(axe.source);
  return page.evaluate(async () => {
    const engine = (globalThis as unknown as { axe: typeof axe }).axe;
    // (No DOM types in this project: the page's document is reached through globalThis.)
    const page = (globalThis as unknown as { document: axe.ElementContext }).document;
    const result = await engine.run(page, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target as unknown[] })),
    }));
  });
}

export const PHONE_WIDTH = 375;

/** Records every page a test visits: screenshot, accessibility and phone-width checks. */
export class Visitor {
  readonly #dir: string;
  #step = 0;
  /** The steps recorded so far, in order (for failure messages). */
  readonly steps: string[] = [];

  constructor(testName: string) {
    this.#dir = join(SCREENSHOTS_DIR, slug(testName));
    mkdirSync(this.#dir, { recursive: true });
  }

  /** Screenshots and checks the page as it is now; `step` names it (e.g. `login`). */
  async record(page: Page, step: string, options: { scriptsEnabled?: boolean } = {}) {
    this.#step++;
    const name = `${String(this.#step).padStart(2, '0')}-${slug(step)}`;
    this.steps.push(`${name} ${page.url()}`);
    await page.screenshot({ path: join(this.#dir, `${name}.png`), fullPage: true });

    // axe needs JavaScript in the page; a context without it is checked by the other tests,
    // which visit the same pages.
    if (options.scriptsEnabled !== false) {
      const violations = (await accessibilityViolations(page)).filter(
        (v) => v.impact === 'serious' || v.impact === 'critical',
      );
      assert.deepEqual(
        violations.map(
          (v) =>
            `${v.impact} ${v.id}: ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`,
        ),
        [],
        `accessibility of ${step} (${page.url()})`,
      );
    }

    // On a phone: nothing wider than the screen. Checked at 375 px, then the size is restored.
    const size = page.viewportSize();
    await page.setViewportSize({ width: PHONE_WIDTH, height: 740 });
    const widths = await page.evaluate<{ scroll: number; client: number }>(
      '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
    );
    await page.screenshot({ path: join(this.#dir, `${name}-phone.png`), fullPage: true });
    if (size !== null) await page.setViewportSize(size);
    assert.ok(
      widths.scroll <= widths.client,
      `${step} (${page.url()}) scrolls sideways on a ${PHONE_WIDTH} px screen: ` +
        `${widths.scroll} px wide`,
    );
  }
}

/** What the client app received at its redirect URI. */
export interface Callback {
  readonly url: URL;
}

/**
 * Answers every request to APP_ORIGIN in `context` with a small page, recording the URLs: the
 * browser "arrives at the client" without any network access.
 */
export async function standInForClient(context: BrowserContext): Promise<Callback[]> {
  const received: Callback[] = [];
  await context.route(`${APP_ORIGIN}/**`, async (route) => {
    received.push({ url: new URL(route.request().url()) });
    await route.fulfill({
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body: '<!DOCTYPE html><html lang="en"><head><title>Client app</title></head><body><main><h1>Client app</h1></main></body></html>',
    });
  });
  return received;
}
