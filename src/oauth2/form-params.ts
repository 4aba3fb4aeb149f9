// Request parameters of the OAuth endpoints: an `application/x-www-form-urlencoded` body (token,
// introspection, revocation, device authorization) or a query string (authorization). RFC 6749
// §3.1 and §3.2: a parameter sent more than once is an error, and one sent without a value is
// treated as omitted.
//
// The oauth resource keeps form bodies as raw strings (src/http/resources/oauth.ts), so duplicates
// are still visible here; an object body (already parsed by @fastify/formbody elsewhere) is also
// accepted, with arrays meaning duplicates.

import { invalidRequest } from './errors.ts';

export type FormParams = ReadonlyMap<string, string>;

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** The parameters of a form body. Throws `invalid_request` on a wrong content type or duplicates. */
export function parseFormBody(contentType: string | undefined, body: unknown): FormParams {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== FORM_TYPE) {
    throw invalidRequest(`the request body must be ${FORM_TYPE}`);
  }
  if (body === undefined || body === null) return new Map();
  if (typeof body === 'string') return parseUrlEncoded(body);
  if (Buffer.isBuffer(body)) return parseUrlEncoded(body.toString('utf8'));
  if (typeof body === 'object') return fromParsedObject(body as Record<string, unknown>);
  throw invalidRequest('malformed request body');
}

/** The parameters of a query string (with or without the leading `?`, or a whole URL). */
export function parseQueryParams(urlOrQuery: string): FormParams {
  const question = urlOrQuery.indexOf('?');
  const query = question === -1 ? urlOrQuery : urlOrQuery.slice(question + 1);
  return parseUrlEncoded(query.split('#')[0]!);
}

/** Parses `a=1&b=2`, rejecting any name seen twice; empty values are dropped. */
export function parseUrlEncoded(text: string): FormParams {
  // URLSearchParams would silently replace malformed escapes; the protocol wants them refused.
  const params = new Map<string, string>();
  const seen = new Set<string>();
  if (text === '') return params;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decodeComponent(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? '' : decodeComponent(pair.slice(equals + 1));
    if (seen.has(name)) throw invalidRequest(`parameter ${describe(name)} was sent more than once`);
    seen.add(name);
    if (value !== '') params.set(name, value);
  }
  return params;
}

/** application/x-www-form-urlencoded decoding of one name or value (`+` is a space). */
export function decodeComponent(text: string): string {
  // Most names and values (token strings, grant types) have nothing to decode.
  if (!text.includes('%') && !text.includes('+')) return text;
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw invalidRequest('malformed percent-encoding in the request');
  }
}

function fromParsedObject(object: Record<string, unknown>): FormParams {
  const params = new Map<string, string>();
  for (const [name, value] of Object.entries(object)) {
    if (Array.isArray(value))
      throw invalidRequest(`parameter ${describe(name)} was sent more than once`);
    if (typeof value !== 'string') throw invalidRequest(`malformed parameter ${describe(name)}`);
    if (value !== '') params.set(name, value);
  }
  return params;
}

/** A parameter name for an error message: short and printable. */
function describe(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable;
}
