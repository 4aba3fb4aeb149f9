// `gatehouse templates save` and `templates check`, run in-process on a fresh commander program:
// save copies every built-in template and refuses to overwrite without --overwrite; check passes
// on the saved copy and fails (exit 1, one line per broken template naming it) on broken ones,
// including a broken translation.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { registerTemplatesCommands } from '../../src/cli/templates.ts';
import { SeededRng } from '../../src/rng.ts';
import { BUILTIN_TEMPLATES_PATH, Templates } from '../../src/templates/templates.ts';
import { runCli } from '../helpers/cli.ts';

const run = (argv: string[], cwd: string) =>
  runCli(argv, registerTemplatesCommands, {
    cwd,
    clock: new MockClock(),
    rng: new SeededRng('templates'),
  });

describe('templates commands', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-templates-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves every built-in template, and refuses to overwrite without --overwrite', async () => {
    const saved = await run(['templates', 'save', 'custom'], dir);
    assert.equal(saved.code, 0, saved.err);
    const names = Templates.builtinNames();
    assert.ok(names.includes('base.html') && names.includes('pages/login.html'));
    for (const name of names) {
      assert.equal(
        readFileSync(join(dir, 'custom', name), 'utf8'),
        readFileSync(join(BUILTIN_TEMPLATES_PATH, name), 'utf8'),
        name,
      );
    }
    assert.match(saved.out, new RegExp(`saved ${names.length} templates`));

    const edited = join(dir, 'custom', 'pages', 'login.html');
    writeFileSync(edited, 'edited');
    const again = await run(['templates', 'save', 'custom'], dir);
    assert.equal(again.code, 1);
    assert.match(again.err, /already exist .*--overwrite/);
    assert.equal(readFileSync(edited, 'utf8'), 'edited', 'left alone');

    const forced = await run(['templates', 'save', 'custom', '--overwrite'], dir);
    assert.equal(forced.code, 0, forced.err);
    assert.notEqual(readFileSync(edited, 'utf8'), 'edited');
  });

  it('checks a saved copy, and names each broken template', async () => {
    assert.equal((await run(['templates', 'save', 't'], dir)).code, 0);
    const ok = await run(['templates', 'check', 't'], dir);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /all \d+ templates render/);

    // A syntax error, a render-time error (calling an undefined function) and a broken extra file.
    writeFileSync(
      join(dir, 't', 'pages', 'login.html'),
      '{% extends "base.html" %}{% block content %}{% if %}{% endblock %}',
    );
    writeFileSync(join(dir, 't', 'pages', 'consent.html'), '{{ nothing.here() }}');
    mkdirSync(join(dir, 't', 'extra'));
    writeFileSync(join(dir, 't', 'extra', 'partial.html'), '{% for x in %}');
    const bad = await run(['templates', 'check', 't'], dir);
    assert.equal(bad.code, 1);
    const lines = bad.err.split('\n');
    assert.equal(lines.length, 4, bad.err);
    assert.match(lines[0]!, /^extra\/partial\.html: ./);
    assert.match(lines[1]!, /^pages\/consent\.html: .+\(sample 1\)$/);
    assert.match(lines[2]!, /^pages\/login\.html: .*Line 1.+\(sample 1\)$/);
    assert.match(lines[3]!, /^error: 3 of \d+ templates failed to render$/);
  });

  it('uses the built-in templates for files DIR does not have', async () => {
    mkdirSync(join(dir, 'only', 'pages'), { recursive: true });
    writeFileSync(
      join(dir, 'only', 'pages', 'error.html'),
      '{% extends "base.html" %}{% block content %}<h1>{{ title }}</h1>{% endblock %}',
    );
    const ok = await run(['templates', 'check', 'only'], dir);
    assert.equal(ok.code, 0, ok.err);
    const missing = await run(['templates', 'check', 'nope'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope is not a folder/);
  });

  it('renders in every language of --translations and reports a broken translation file', async () => {
    mkdirSync(join(dir, 'tpl'));
    mkdirSync(join(dir, 'tr'));
    writeFileSync(join(dir, 'tr', 'fr.json'), '{"login": {"title": "Connexion"}}');
    const ok = await run(['templates', 'check', 'tpl', '--translations', 'tr'], dir);
    assert.equal(ok.code, 0, ok.err);
    writeFileSync(join(dir, 'tr', 'fr.json'), '{"login": ["x"]}');
    const bad = await run(['templates', 'check', 'tpl', '--translations', 'tr'], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /cannot load the templates: .*fr\.json: login must be/);
    assert.ok(!existsSync(join(dir, 'tpl', 'pages')), 'check writes nothing');
  });
});
