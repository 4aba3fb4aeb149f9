// Which redirect URI an authorization request goes back to. Matching is exact, except that a
// registered loopback URI (`localhost`, `127.0.0.1`, `[::1]`) matches the same URI on any port,
// because native apps listen on whatever port is free (RFC 8252 §7.3; MAS does the same). A client
// with exactly one registered URI may leave `redirect_uri` out.

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/** True when `requested` is `registered`, or the same loopback URI on another port. */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  let a: URL;
  let b: URL;
  try {
    a = new URL(registered);
    b = new URL(requested);
  } catch {
    return false;
  }
  if (!isLoopbackHost(a.hostname)) return false;
  if (b.hash !== '' || requested.includes('#')) return false;
  // Compare everything but the port, in the parsed (normalised) forms.
  a.port = '';
  b.port = '';
  return a.href === b.href;
}

/**
 * The redirect URI to use: the requested one when it matches a registered one, the only
 * registered one when none was requested, else null (the request must not redirect anywhere).
 */
export function resolveRedirectUri(
  registered: readonly string[],
  requested: string | undefined,
): string | null {
  if (requested === undefined) return registered.length === 1 ? registered[0]! : null;
  return registered.some((uri) => redirectUriMatches(uri, requested)) ? requested : null;
}
