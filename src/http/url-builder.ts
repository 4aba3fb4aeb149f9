// Absolute URLs of Gatehouse's own endpoints, from `http.public_base` (where people and clients
// reach us, including any path prefix) and `http.issuer` (the OIDC issuer identifier).

export class UrlBuilder {
  readonly issuer: string;
  readonly #base: URL;

  constructor(publicBase: string, issuer: string) {
    // A base without a trailing slash would drop its last path segment when resolving.
    this.#base = new URL(publicBase.endsWith('/') ? publicBase : `${publicBase}/`);
    this.issuer = issuer;
  }

  /** `path` (with or without a leading slash) under the public base, with an optional query. */
  absolute(path: string, query?: Record<string, string | undefined>): string {
    const url = new URL(path.replace(/^\/+/, ''), this.#base);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    return url.toString();
  }

  /** The path part of the public base (`/` or `/auth/`), for cookie paths and relative links. */
  get basePath(): string {
    return this.#base.pathname;
  }

  /** True when the public base is https (cookies are then `Secure`). */
  get isSecure(): boolean {
    return this.#base.protocol === 'https:';
  }
}
