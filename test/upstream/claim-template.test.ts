// Claim templates: compilation errors (syntax, unknown filters, loader tags) and every filter,
// compared with what Jinja2 / MAS produce.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ClaimTemplateError,
  ClaimTemplateRenderError,
  claimTemplateFilters,
  compileClaimTemplate,
} from '../../src/upstream/claim-template.ts';

const render = (source: string, user: Record<string, unknown> = {}) =>
  compileClaimTemplate(source).render({ user });

function compileError(source: string): string {
  try {
    compileClaimTemplate(source);
  } catch (error) {
    assert.ok(error instanceof ClaimTemplateError);
    return error.message;
  }
  assert.fail(`${source} compiled`);
}

function renderError(source: string, user: Record<string, unknown>): string {
  try {
    render(source, user);
  } catch (error) {
    assert.ok(error instanceof ClaimTemplateRenderError, String(error));
    return error.message;
  }
  assert.fail(`${source} rendered`);
}

describe('compileClaimTemplate', () => {
  it('renders claims from `user`, undefined ones as empty', () => {
    assert.equal(render('{{ user.sub }}', { sub: 'abc' }), 'abc');
    assert.equal(render('{{ user.missing }}', {}), '');
    assert.equal(render('{{ user.a.b }}', { a: { b: 'deep' } }), 'deep');
    assert.equal(render('{{ user["x-y"] }}', { 'x-y': 'dash' }), 'dash');
    assert.equal(render('{{ "@" ~ user.n }}', { n: 5 }), '@5');
    assert.equal(render('{% if user.admin %}yes{% else %}no{% endif %}', { admin: true }), 'yes');
  });

  it('does not escape HTML: the output is data', () => {
    assert.equal(render('{{ user.name }}', { name: '<b>&"\'' }), '<b>&"\'');
  });

  it('treats claims as data, never as template source', () => {
    assert.equal(render('{{ user.name }}', { name: '{{ 7 * 7 }}' }), '{{ 7 * 7 }}');
  });

  it('reports syntax errors with line and column', () => {
    assert.equal(
      compileError('{{ user.x | }}'),
      'line 1, column 13: expected symbol, got variable-end',
    );
    assert.match(compileError('ok\n{% if %}'), /^line 2, column \d+: /);
    assert.match(compileError('{{ user.x'), /expected variable end/);
  });

  it('refuses unknown filters at compile time, naming them', () => {
    assert.equal(
      compileError('x\n {{ user.a | upper | nope }}'),
      'line 2, column 22: unknown filter `nope`',
    );
  });

  it('refuses tags that need a template loader', () => {
    assert.match(compileError('{% include "x.html" %}'), /`include` is not available/);
    assert.match(compileError('{% extends "x.html" %}'), /`extends` is not available/);
    assert.match(compileError('{% import "x.html" as x %}'), /`import` is not available/);
    assert.match(compileError('{% from "x.html" import y %}'), /`from … import` is not available/);
  });

  it('offers the MAS filters and nunjucks built-ins', () => {
    const filters = claimTemplateFilters();
    for (const name of [
      'split',
      'lower',
      'default',
      'd',
      'from_json',
      'b64decode',
      'b64encode',
      'string',
      'tojson',
      'tlvdecode',
      'upper',
      'replace',
    ]) {
      assert.ok(filters.includes(name), name);
    }
  });
});

describe('filters', () => {
  it('split: by a separator, like Python str.split', () => {
    assert.equal(render('{{ (user.u | split("@"))[0] }}', { u: 'alice@example.com' }), 'alice');
    assert.equal(
      render('{{ (user.u | split("@"))[1] }}', { u: 'alice@example.com' }),
      'example.com',
    );
    assert.equal(render('{{ user.u | split(",") | length }}', { u: 'a,,b,' }), '4');
    assert.equal(render('{{ (user.u | split("@"))[0] }}', { u: 'no-at' }), 'no-at');
  });

  it('split: no separator splits on runs of whitespace, dropping empty items', () => {
    assert.equal(render('{{ user.u | split | join("|") }}', { u: '  a  b\tc \n' }), 'a|b|c');
    assert.equal(render('{{ user.u | split | length }}', { u: '   ' }), '0');
  });

  it('split: maxsplit keeps the rest whole', () => {
    assert.equal(render('{{ user.u | split(".", 1) | join("|") }}', { u: 'a.b.c' }), 'a|b.c');
    assert.equal(render('{{ user.u | split(none, 1) | join("|") }}', { u: ' a b  c ' }), 'a|b  c');
  });

  it('split: an empty separator is an error, as in Python', () => {
    assert.equal(renderError('{{ user.u | split("") }}', { u: 'abc' }), 'split: empty separator');
  });

  it('lower', () => {
    assert.equal(render('{{ user.u | lower }}', { u: 'ÄliCE' }), 'älice');
  });

  it('default / d: replaces undefined only, unless asked to replace falsy values too', () => {
    assert.equal(render('{{ user.u | default("anon") }}', {}), 'anon');
    assert.equal(render('{{ user.u | d("anon") }}', {}), 'anon');
    assert.equal(render('{{ user.u | default("anon") }}', { u: 'bob' }), 'bob');
    // Jinja2: a defined but empty value stays...
    assert.equal(render('{{ user.u | default("anon") }}', { u: '' }), '');
    // ...unless the boolean flag is set.
    assert.equal(render('{{ user.u | default("anon", true) }}', { u: '' }), 'anon');
  });

  it('from_json: parses a JSON string claim', () => {
    assert.equal(render('{{ (user.j | from_json).name }}', { j: '{"name":"x"}' }), 'x');
    assert.equal(render('{{ (user.j | from_json)[1] }}', { j: '[1,2]' }), '2');
    assert.equal(
      renderError('{{ user.j | from_json }}', { j: '{nope' }),
      'from_json: not valid JSON',
    );
    assert.equal(renderError('{{ user.j | from_json }}', {}), 'from_json: not a string');
  });

  it('b64decode: standard and URL-safe, padded or not', () => {
    assert.equal(render('{{ user.v | b64decode }}', { v: 'aGk=' }), 'hi');
    assert.equal(render('{{ user.v | b64decode }}', { v: 'aGk' }), 'hi');
    assert.equal(render('{{ user.v | b64decode }}', { v: 'Pz8_' }), '???');
    assert.equal(render('{{ user.v | b64decode }}', { v: 'Pz8/' }), '???');
    assert.equal(render('{{ (user.v | b64decode | from_json).a }}', { v: 'eyJhIjoxfQ' }), '1');
    assert.equal(
      renderError('{{ user.v | b64decode }}', { v: 'not base64!' }),
      'b64decode: not base64',
    );
  });

  it('b64decode: bytes that are not UTF-8 stay bytes and render with replacement characters', () => {
    assert.equal(render('{{ user.v | b64decode }}', { v: '//8' }), '\ufffd\ufffd');
    assert.equal(render('{{ user.v | b64decode | b64encode }}', { v: '//8=' }), '//8=');
    assert.equal(render('{{ user.v | b64decode | string }}', { v: '//8' }), '\ufffd\ufffd');
  });

  it('tlvdecode: tag-length-value bytes to a mapping (the MAS example)', () => {
    const source =
      '{%- set tlv = user.v | b64decode | tlvdecode -%}{{ tlv[18] | string }}/{{ tlv[10] | string }}';
    assert.equal(render(source, { v: 'Cg0wLTM4NS0yODA4OS0wEgRtb2Nr' }), 'mock/0-385-28089-0');
    assert.equal(
      renderError('{{ user.v | b64decode | tlvdecode }}', { v: 'CgU=' }),
      'tlvdecode: truncated tag-length-value data',
    );
    assert.equal(renderError('{{ user.v | tlvdecode }}', { v: 3 }), 'tlvdecode: not a string');
  });

  it('b64encode: standard alphabet with padding', () => {
    assert.equal(render('{{ user.v | b64encode }}', { v: 'hi' }), 'aGk=');
    assert.equal(render('{{ user.v | b64encode }}', { v: '???' }), 'Pz8/');
    assert.equal(render('{{ user.v | b64encode | b64decode }}', { v: 'é' }), 'é');
  });

  it('string: text of any value', () => {
    assert.equal(render('{{ user.v | string }}', { v: 42 }), '42');
    assert.equal(render('{{ user.v | string }}', { v: true }), 'true');
    assert.equal(render('{{ user.v | string }}', { v: null }), '');
    assert.equal(render('{{ user.v | string }}', {}), '');
    assert.equal(render('{{ user.v | string }}', { v: ['a', 1] }), '["a",1]');
    assert.equal(render('{{ (user.v | string) ~ "!" }}', { v: 'x' }), 'x!');
  });

  it('tojson: sorted keys, HTML-sensitive characters escaped, optional indent', () => {
    assert.equal(
      render('{{ user.v | tojson }}', { v: { b: 1, a: ["<&>'"] } }),
      '{"a":["\\u003c\\u0026\\u003e\\u0027"],"b":1}',
    );
    assert.equal(render('{{ user.v | tojson }}', { v: 'x' }), '"x"');
    assert.equal(render('{{ user.v | tojson }}', {}), 'null');
    assert.equal(render('{{ user.v | tojson(2) }}', { v: { a: 1 } }), '{\n  "a": 1\n}');
  });

  it('reports other render failures as ClaimTemplateRenderError', () => {
    // Calling something that is not a function.
    assert.match(renderError('{{ user.v() }}', { v: 'x' }), /.+/);
  });
});
