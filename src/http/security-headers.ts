// Security headers on every response of a listener. Content-Security-Policy is left to the
// resources that render pages (they know what they load); HSTS is left to the operator's reverse
// proxy, which knows whether the public URL is https.
//
// The set is fixed (the same as helmet's defaults with the choices below), so it is written once
// per response from a precomputed object, in a callback hook: this runs on every introspection
// call, where a middleware computing the headers per request showed up in CPU profiles. The
// listener app writes them in its one `onRequest` hook, with the request id (./listener-app.ts).

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  // A page that opens a popup may not script it (and vice versa).
  'cross-origin-opener-policy': 'same-origin',
  // Discovery, keys and assets are fetched by other origins (clients, the homeserver).
  'cross-origin-resource-policy': 'cross-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  // The legacy XSS auditor is itself a source of leaks: switched off, as current advice says.
  'x-xss-protection': '0',
});
