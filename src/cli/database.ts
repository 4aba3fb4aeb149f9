// `gatehouse database …`: commands that act on the database itself.
//
// `database migrate` brings the schema up to date. `gatehouse server` does the same on start
// unless `--no-migrate`; `gatehouse worker` and `server --no-migrate` refuse a database with
// pending migrations, so operators who migrate explicitly run this after each upgrade (as with MAS).

import type { Command } from 'commander';
import type { CliContext } from './context.ts';
import { migrate, openStorage } from './lifecycle.ts';
import { loadConfigForCommand } from './load-config.ts';

export function registerDatabaseCommands(program: Command, ctx: CliContext): void {
  const database = program.command('database').description('manage the database');

  database
    .command('migrate')
    .description('apply the pending database migrations')
    .action(async (_options: unknown, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      const { storage, where } = openStorage(config.database, ctx.cwd);
      try {
        const applied = await migrate(storage, where);
        if (applied.length === 0) ctx.out('database is up to date');
        else for (const name of applied) ctx.out(`applied migration ${name}`);
      } finally {
        await storage.close().catch(() => {});
      }
    });
}
