// The whole configuration file: MAS's 17 sections, each from ./sections/<name>.ts. Every section
// but `secrets` has defaults, so a file needs only `secrets` (and, for a homeserver, `matrix`).
//
// To add a section: write ./sections/<name>.ts exporting `<name>Schema` (a strict object with a
// default and a description on every key) and `<Name>Config`, add it below, then run
// `node scripts/config-docs.ts` to refresh docs/config.schema.json and docs/configuration.md.

import { z } from 'zod';
import { accountSchema } from './sections/account.ts';
import { brandingSchema } from './sections/branding.ts';
import { captchaSchema } from './sections/captcha.ts';
import { clientsSchema } from './sections/clients.ts';
import { databaseSchema } from './sections/database.ts';
import { emailSchema } from './sections/email.ts';
import { experimentalSchema } from './sections/experimental.ts';
import { httpSchema } from './sections/http.ts';
import { matrixSchema } from './sections/matrix.ts';
import { oauthSchema } from './sections/oauth.ts';
import { passwordsSchema } from './sections/passwords.ts';
import { policySchema } from './sections/policy.ts';
import { rateLimitingSchema } from './sections/rate_limiting.ts';
import { secretsSchema } from './sections/secrets.ts';
import { telemetrySchema } from './sections/telemetry.ts';
import { templatesSchema } from './sections/templates.ts';
import { upstreamOauth2Schema } from './sections/upstream_oauth2.ts';

export const rootSchema = z
  .strictObject({
    http: httpSchema
      .prefault({})
      .describe('The web server: public URL, issuer, trusted proxies and listeners.'),
    database: databaseSchema
      .prefault({})
      .describe('Database connection: PostgreSQL (MAS keys) or SQLite.'),
    telemetry: telemetrySchema.prefault({}).describe('Monitoring: traces, metrics and Sentry.'),
    templates: templatesSchema
      .prefault({})
      .describe('Where to load templates, the assets manifest and translations from.'),
    clients: clientsSchema
      .default(() => [])
      .describe('OAuth 2.0 / OIDC clients declared here, synced to the database at start-up.'),
    secrets: secretsSchema.describe('Encryption key and signing keys. Required.'),
    passwords: passwordsSchema.prefault({}).describe('Local password database.'),
    matrix: matrixSchema
      .optional()
      .describe(
        'Connection to the Matrix homeserver. Required by MAS; in Gatehouse, leave it out to run a standalone OpenID provider.',
      ),
    policy: policySchema.prefault({}).describe('Policy engine settings and data.'),
    rate_limiting: rateLimitingSchema.prefault({}).describe('Rate limits on sensitive actions.'),
    upstream_oauth2: upstreamOauth2Schema
      .prefault({})
      .describe('Upstream OAuth 2.0 / OpenID Connect providers.'),
    branding: brandingSchema.prefault({}).describe('Branding of the web pages and emails.'),
    captcha: captchaSchema
      .prefault({})
      .describe('CAPTCHA protection of self-service password registration.'),
    account: accountSchema.prefault({}).describe('Account management features offered to users.'),
    oauth: oauthSchema.prefault({}).describe('OAuth 2.0 protocol options.'),
    experimental: experimentalSchema
      .prefault({})
      .describe('Experimental options; change them only if you know why.'),
    email: emailSchema.prefault({}).describe('Outgoing email.'),
  })
  .describe('Gatehouse configuration (MAS compatible).');

export type RootConfig = z.infer<typeof rootSchema>;

/** The section names, in the order of the file MAS's `config generate` writes. */
export const SECTION_NAMES = Object.keys(rootSchema.shape) as (keyof RootConfig)[];
