// The `gatehouse` command's own behaviour: help, usage errors and exit codes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runGatehouse } from '../helpers/server-process.ts';

test('--help lists every command group', async () => {
  const run = runGatehouse(['--help']);
  assert.equal(await run.exited, 0);
  for (const command of ['server', 'worker', 'config', 'database']) {
    assert.match(run.output(), new RegExp(`^\\s+${command}\\b`, 'm'));
  }
  assert.match(run.output(), /--config <file>/);
  assert.match(run.output(), /--log-level <level>/);
});

test('every command has its own help', async () => {
  for (const args of [
    ['server', '--help'],
    ['worker', '--help'],
    ['config', 'check', '--help'],
    ['database', 'migrate', '--help'],
  ]) {
    const run = runGatehouse(args);
    assert.equal(await run.exited, 0, args.join(' '));
    assert.match(run.output(), /^Usage: gatehouse /m);
  }
});

test('an unknown command or option is a usage error with exit code 2', async () => {
  const unknownCommand = runGatehouse(['frobnicate']);
  assert.equal(await unknownCommand.exited, 2);
  assert.match(unknownCommand.output(), /unknown command 'frobnicate'/);
  const badLevel = runGatehouse(['--log-level', 'loud', 'config', 'check']);
  assert.equal(await badLevel.exited, 2);
  assert.match(badLevel.output(), /invalid/i);
});

test('a missing config file is one clear line and exit 1; --debug adds the stack', async () => {
  const run = runGatehouse(['config', 'check', '-c', '/nonexistent/gatehouse.yaml']);
  assert.equal(await run.exited, 1);
  assert.match(run.output(), /\/nonexistent\/gatehouse\.yaml/);
  assert.doesNotMatch(run.output(), /\n\s+at /);
  const debug = runGatehouse(['--debug', 'config', 'check', '-c', '/nonexistent/gatehouse.yaml']);
  assert.equal(await debug.exited, 1);
  assert.match(debug.output(), /\n\s+at /);
});
