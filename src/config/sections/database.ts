// `database` section: where Gatehouse keeps its state. MAS's PostgreSQL keys, plus SQLite URIs
// (`sqlite:PATH`, `sqlite::memory:`), which are Gatehouse's zero-setup default.

import { z } from 'zod';

const seconds = (description: string, fallback: number) =>
  z.number().int().nonnegative().default(fallback).describe(description);

export const databaseSchema = z
  .strictObject({
    uri: z
      .string()
      .optional()
      .describe(
        'Connection URI. `postgresql://user:password@host:5432/db?sslmode=require` for PostgreSQL, ' +
          '`sqlite:PATH` (relative to the working directory) or `sqlite::memory:` for SQLite. ' +
          'Mutually exclusive with the separate connection fields.',
      ),
    host: z.string().optional().describe('PostgreSQL host name.'),
    port: z.number().int().min(1).max(65535).optional().describe('PostgreSQL port.'),
    socket: z.string().optional().describe('Directory of the PostgreSQL UNIX socket.'),
    username: z.string().optional().describe('PostgreSQL user name.'),
    password: z.string().optional().describe('PostgreSQL password.'),
    password_file: z.string().optional().describe('File holding the PostgreSQL password.'),
    database: z.string().optional().describe('PostgreSQL database name.'),
    ssl_mode: z
      .enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'])
      .optional()
      .describe('How to use TLS with PostgreSQL.'),
    ssl_ca: z.string().optional().describe('PEM CA certificate(s) to verify the server with.'),
    ssl_ca_file: z.string().optional().describe('File holding `ssl_ca`.'),
    ssl_certificate: z.string().optional().describe('PEM client certificate.'),
    ssl_certificate_file: z.string().optional().describe('File holding `ssl_certificate`.'),
    ssl_key: z.string().optional().describe('PEM client key.'),
    ssl_key_file: z.string().optional().describe('File holding `ssl_key`.'),
    min_connections: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Connections the pool keeps open when idle.'),
    max_connections: z
      .number()
      .int()
      .positive()
      .default(10)
      .describe(
        'Most connections the pool opens at once. On PostgreSQL, the hot statements are prepared ' +
          'on each connection: behind PgBouncer in transaction mode, set its ' +
          '`max_prepared_statements` (PgBouncer 1.21 or later).',
      ),
    connect_timeout: seconds('Seconds to wait for a new connection.', 30),
    idle_timeout: seconds('Seconds an idle pooled connection is kept.', 600),
    max_lifetime: seconds('Seconds after which a pooled connection is replaced.', 1800),
    busy_timeout: seconds(
      'Gatehouse only, SQLite only: seconds a writer waits for the database lock before failing.',
      5,
    ),
  })
  .superRefine((value, ctx) => {
    const separate = [
      'host',
      'port',
      'socket',
      'username',
      'password',
      'password_file',
      'database',
    ] as const;
    if (value.uri !== undefined) {
      for (const key of separate) {
        if (value[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `\`${key}\` cannot be combined with \`uri\``,
          });
        }
      }
      if (!/^(postgres(ql)?:\/\/|sqlite:)/.test(value.uri)) {
        ctx.addIssue({
          code: 'custom',
          path: ['uri'],
          message: 'must start with `postgresql://`, `postgres://` or `sqlite:`',
        });
      }
    }
    if (value.password !== undefined && value.password_file !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['password_file'],
        message: 'set `password` or `password_file`, not both',
      });
    }
    if (value.min_connections > value.max_connections) {
      ctx.addIssue({
        code: 'custom',
        path: ['min_connections'],
        message: 'must not exceed `max_connections`',
      });
    }
  })
  .describe('How to connect to the database: PostgreSQL (MAS keys) or SQLite.');

export type DatabaseConfig = z.infer<typeof databaseSchema>;
