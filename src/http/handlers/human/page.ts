// What every human page handler shares: the dependencies it is given, rendering a page with the
// common context (`base_path`), the HTML error page, the typed error a handler throws to show
// one, and the check that keeps `next` from becoming an open redirect.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.ts';
import { CsrfError } from '../../csrf.ts';
import {
  csrfMessage,
  englishText,
  pageMessage,
  type MessageKey,
  type PageMessage,
} from './page-message.ts';

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

/**
 * Translation keys (translations/en.json) for an error page's title and message, and the
 * message's variables; the page shows them in the reader's language. `title` and `message` stay
 * the English text (for logs, and for templates that do not use the keys).
 */
export interface ErrorPageText {
  readonly title: string;
  readonly message: string;
  readonly vars?: Readonly<Record<string, string | number>>;
}

/** Thrown by a human handler to answer with the error page. `message` is shown to the user. */
export class HumanPageError extends Error {
  override readonly name = 'HumanPageError';
  readonly status: number;
  readonly title: string;
  readonly back: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: ErrorPageText | null;

  constructor(
    status: number,
    title: string,
    message: string,
    options: {
      back?: string | null;
      headers?: Record<string, string>;
      text?: ErrorPageText | null;
    } = {},
  ) {
    super(message);
    this.status = status;
    this.title = title;
    this.back = options.back ?? null;
    this.headers = options.headers ?? {};
    this.text = options.text ?? null;
  }
}

/**
 * The error page with a translated title and message (`title` and `message` keep their English
 * text, for logs). Every human handler throws its error pages through this.
 */
export function pageError(
  status: number,
  title: MessageKey,
  message: PageMessage,
  options: { back?: string | null; headers?: Record<string, string> } = {},
): HumanPageError {
  return new HumanPageError(status, englishText(pageMessage(title)), englishText(message), {
    ...options,
    text: {
      title,
      message: message.key,
      ...(message.vars === undefined ? {} : { vars: message.vars }),
    },
  });
}

/** The 400 page of a form whose CSRF check failed (`error` from csrf.ts), pointing to `back`. */
export function csrfPageError(error: unknown, back?: string | null): HumanPageError {
  const reason = csrfMessage(
    error instanceof CsrfError
      ? error
      : { message: error instanceof Error ? error.message : String(error) },
  );
  return pageError(400, 'error.csrf.title', reason, back === undefined ? {} : { back });
}

/** The 503 page when the password hasher is saturated, pointing to `back`. */
export function busyPageError(back: string): HumanPageError {
  return pageError(503, 'error.busy.title', pageMessage('error.busy.message'), {
    back,
    headers: { 'retry-after': '5' },
  });
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
    /** Shown as "Request id: …" in the reader's language (instead of `details`). */
    requestId?: string | null;
    text?: ErrorPageText | null;
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
        request_id: error.requestId ?? null,
        title_key: error.text?.title ?? null,
        message_key: error.text?.message ?? null,
        message_vars: error.text?.vars ?? {},
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
