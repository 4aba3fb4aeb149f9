// The "Continue with …" buttons: enabled providers in `ui_order`, `next` carried along, logos only
// for known brands, and the straight-to-the-provider shortcut (passwords off, one provider).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PasswordManager } from '../../../src/crypto/password-manager.ts';
import {
  PROVIDER_BRANDS,
  providerButtons,
  soleProviderRedirect,
} from '../../../src/http/handlers/upstream/provider-buttons.ts';
import { startTestApp } from '../../helpers/app.ts';
import { saveProvider } from './upstream-kit.ts';

const idp = { issuer: 'https://idp.example' };

describe('provider buttons', () => {
  it('lists enabled providers in order, with next and known brands only', async () => {
    const h = await startTestApp();
    try {
      await saveProvider(
        h,
        idp,
        { humanName: 'Second', brandName: 'GitLab', uiOrder: 1 },
        '01JZ0000000000000000000002',
      );
      await saveProvider(
        h,
        idp,
        { humanName: null, brandName: 'acme', uiOrder: 0 },
        '01JZ0000000000000000000001',
      );
      await saveProvider(
        h,
        idp,
        { humanName: 'Off', uiOrder: 2, enabled: false },
        '01JZ0000000000000000000003',
      );
      const buttons = await h.db.storage.transaction((repos) =>
        providerButtons(h.ctx, repos, '/authorize?client_id=a&state=b'),
      );
      assert.deepEqual(buttons, [
        {
          name: 'https://idp.example',
          href: '/upstream/authorize/01JZ0000000000000000000001?next=%2Fauthorize%3Fclient_id%3Da%26state%3Db',
          brand: null,
        },
        {
          name: 'Second',
          href: '/upstream/authorize/01JZ0000000000000000000002?next=%2Fauthorize%3Fclient_id%3Da%26state%3Db',
          brand: 'gitlab',
        },
      ]);

      const off = { passwords: { enabled: false } as PasswordManager };
      const on = { passwords: { enabled: true } as PasswordManager };
      assert.equal(soleProviderRedirect(off, buttons), null, 'two providers: choose');
      assert.equal(soleProviderRedirect(off, buttons.slice(0, 1)), buttons[0]!.href);
      assert.equal(soleProviderRedirect(on, buttons.slice(0, 1)), null, 'passwords on: the form');
    } finally {
      await h.close();
    }
  });

  it('serves a logo for every known brand from the assets resource', async () => {
    const h = await startTestApp();
    try {
      for (const brand of PROVIDER_BRANDS) {
        const response = await h.app.inject({
          method: 'GET',
          url: `/assets/providers/${brand}.svg`,
        });
        assert.equal(response.statusCode, 200, brand);
        assert.match(response.headers['content-type'] as string, /image\/svg\+xml/);
        assert.match(response.body, /^<svg /);
        assert.doesNotMatch(response.body, /<script|style=/);
      }
    } finally {
      await h.close();
    }
  });

  it('shows the buttons on /login and /register, from the database (disabled ones left out)', async () => {
    const h = await startTestApp();
    try {
      await saveProvider(h, idp, { humanName: 'Corp SSO', brandName: 'gitlab', uiOrder: 0 });
      await saveProvider(
        h,
        idp,
        { humanName: 'Retired IdP', uiOrder: 1, enabled: false },
        '01JZ0000000000000000000009',
      );
      const login = await h.app.inject({ method: 'GET', url: '/login?next=%2Faccount' });
      assert.equal(login.statusCode, 200);
      assert.match(login.body, /Corp SSO/);
      assert.match(login.body, /href="\/upstream\/authorize\/[0-9A-Z]{26}\?next=%2Faccount"/);
      assert.match(login.body, /assets\/providers\/gitlab\.svg/);
      assert.doesNotMatch(login.body, /Retired IdP/);
      assert.match(login.body, /name="password"/, 'passwords on: the form stays');

      const register = await h.app.inject({ method: 'GET', url: '/register' });
      assert.equal(register.statusCode, 200);
      assert.match(register.body, /Corp SSO/);
      assert.doesNotMatch(register.body, /Retired IdP/);
    } finally {
      await h.close();
    }
  });

  it('with passwords off, /login goes straight to a sole provider and lists several', async () => {
    const h = await startTestApp({ passwords: { enabled: false } });
    try {
      const only = await saveProvider(h, idp, { humanName: 'Corp SSO', uiOrder: 0 });
      const straight = await h.app.inject({ method: 'GET', url: '/login?next=%2Faccount' });
      assert.equal(straight.statusCode, 303);
      assert.equal(straight.headers.location, `/upstream/authorize/${only.id}?next=%2Faccount`);

      await saveProvider(
        h,
        idp,
        { humanName: 'Partner IdP', uiOrder: 1 },
        '01JZ0000000000000000000008',
      );
      const choose = await h.app.inject({ method: 'GET', url: '/login' });
      assert.equal(choose.statusCode, 200);
      assert.match(choose.body, /Corp SSO/);
      assert.match(choose.body, /Partner IdP/);
      assert.doesNotMatch(choose.body, /name="password"/);
    } finally {
      await h.close();
    }
  });
});
