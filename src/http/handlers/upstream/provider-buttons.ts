// The "Continue with …" buttons of the sign-in and registration pages: one per enabled provider
// in `ui_order`, each pointing at /upstream/authorize/{id} with the page's `next`, and the brand
// whose logo it shows (share/assets/providers/<brand>.svg; other brands get no logo). Also the
// shortcut MAS takes: with passwords off and exactly one provider, /login goes straight to it.
//
// To add a brand logo: put `<brand>.svg` in share/assets/providers/ and add the brand below.

import type { UpstreamOAuthProvider } from '../../../model/upstream-oauth.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { HumanDeps } from '../human/page.ts';

/** Brands with a logo in share/assets/providers/. */
export const PROVIDER_BRANDS: readonly string[] = [
  'apple',
  'google',
  'facebook',
  'github',
  'gitlab',
  'twitter',
];

export interface ProviderButton {
  readonly name: string;
  readonly href: string;
  /** A brand with a logo, or null. */
  readonly brand: string | null;
}

export function providerBrand(provider: Pick<UpstreamOAuthProvider, 'brandName'>): string | null {
  const brand = provider.brandName?.toLowerCase() ?? null;
  return brand !== null && PROVIDER_BRANDS.includes(brand) ? brand : null;
}

export function providerDisplayName(provider: UpstreamOAuthProvider): string {
  return provider.humanName ?? provider.issuer ?? provider.id;
}

/** The buttons for the enabled providers, carrying `next` (a local path or null). */
export async function providerButtons(
  deps: Pick<HumanDeps, 'urls'>,
  repos: Pick<Repositories, 'upstreamOAuthProviders'>,
  next: string | null,
): Promise<ProviderButton[]> {
  const query = next === null ? '' : `?${new URLSearchParams({ next }).toString()}`;
  return (await repos.upstreamOAuthProviders.all({ enabledOnly: true })).map((provider) => ({
    name: providerDisplayName(provider),
    href: `${deps.urls.basePath}upstream/authorize/${provider.id}${query}`,
    brand: providerBrand(provider),
  }));
}

/**
 * Where /login should send the browser instead of showing the form: the only provider, when
 * passwords are off and exactly one provider is enabled; else null.
 */
export function soleProviderRedirect(
  deps: Pick<HumanDeps, 'passwords'>,
  buttons: readonly ProviderButton[],
): string | null {
  return !deps.passwords.enabled && buttons.length === 1 ? buttons[0]!.href : null;
}
