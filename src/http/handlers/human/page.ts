// What every human page handler shares: the dependencies it is given, rendering a page with the
// common context (`base_path`), the HTML error page, the typed error a handler throws to show
// one, and the check that keeps `next` from becoming an open redirect.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.ts';

/** The parts of the AppContext the human pages use. */
export type HumanDeps = Pick<
  AppContext,
  | 'config'
  | 'storage'
  | 'clock'
  | 'rng'
  | 'encrypter'
  | 'passwords'
  | 'rateLimiter'
  | 'templates'
  | 'urls'
  | 'logger'
>;

/** Thrown by a human handler to answer with the error page. `message` is shown to the user. */
export class HumanPageError extends Error {
  override readonly name = 'HumanPageError';
  readonly status: number;
  readonly title: string;
  readonly back: string | null;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    title: string,
    message: string,
    options: { back?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.title = title;
    this.back = options.back ?? null;
    this.headers = options.headers ?? {};
  }
}

/**
 * What picks the page's language: `ui_locales` (the context's, e.g. from the authorization
 * request, else the query's), then the `Accept-Language` header.
 */
function localeHints(request: FastifyRequest, context: object) {
  const fromContext = (context as { ui_locales?: unknown }).ui_locales;
  return {
    uiLocales: typeof fromContext === 'string' ? fromContext : param(request.query, 'ui_locales'),
    acceptLanguage: request.headers['accept-language'] ?? null,
  };
}

/** Renders template `name` with `context` plus `base_path`, as a no-store HTML response. */
export function sendPage(
  reply: FastifyReply,
  deps: Pick<HumanDeps, 'templates' | 'urls'>,
  name: string,
  context: object,
  status = 200,
): FastifyReply {
  const html = deps.templates.render(
    name,
    { base_path: deps.urls.basePath, ...context },
    localeHints(reply.request, context),
  );
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}

const FALLBACK_ERROR_PAGE =
  '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head>' +
  '<body><main><h1>Something went wrong</h1><p>Please try again later.</p></main></body></html>';

/** The HTML error page; if even the template fails, a fixed page (never a stack trace). */
export function sendErrorPage(
  reply: FastifyReply,
  deps: Pick<HumanDeps, 'templates' | 'urls' | 'logger'>,
  error: {
    status: number;
    title: string;
    message: string;
    back?: string | null;
    details?: string | null;
  },
): FastifyReply {
  try {
    return sendPage(
      reply,
      deps,
      'pages/error.html',
      {
        status: error.status,
        title: error.title,
        message: error.message,
        back: error.back ?? null,
        details: error.details ?? null,
      },
      error.status,
    );
  } catch (renderError) {
    deps.logger.error({ err: renderError }, 'cannot render the error page');
    return reply
      .code(error.status)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(FALLBACK_ERROR_PAGE);
  }
}

/**
 * `value` when it is a path on this site (`/…`, not `//…` or `/\…`, no control characters),
 * else null: a `next` parameter must never send the browser to another origin.
 */
export function safeNext(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return null;
  return value;
}

/** A single string parameter of a parsed query or form body; arrays (repeated keys) are refused. */
export function param(source: unknown, key: string): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const value = (source as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}
