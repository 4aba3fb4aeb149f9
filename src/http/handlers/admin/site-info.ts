// `GET /site-config` and `GET /version` of the Admin API: what this deployment allows (from the
// configuration, in MAS's field names; plain JSON, not a JSON:API resource, as MAS answers) and
// which Gatehouse version serves it.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { adminRoute, type AdminDeps, type RouteList } from './admin-route.ts';
import { errorResponses } from './route-docs.ts';

const siteConfigSchema = z
  .object({
    server_name: z.string(),
    password_login_enabled: z.boolean(),
    password_registration_enabled: z.boolean(),
    password_registration_email_required: z.boolean(),
    password_registration_token_required: z.boolean(),
    registration_token_required: z.boolean(),
    email_change_allowed: z.boolean(),
    displayname_change_allowed: z.boolean(),
    password_change_allowed: z.boolean(),
    account_recovery_allowed: z.boolean(),
    account_deactivation_allowed: z.boolean(),
    captcha_enabled: z.boolean(),
    minimum_password_complexity: z.number().int().min(0).max(4),
  })
  .meta({ id: 'SiteConfig' });

const versionSchema = z.object({ version: z.string() }).meta({ id: 'Version' });

export function registerSiteInfo(app: FastifyInstance, deps: AdminDeps, routes: RouteList): void {
  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: '/site-config',
      operationId: 'siteConfig',
      summary: 'Get the configuration of the site',
      tag: 'server',
      responses: {
        200: { description: 'The site configuration', schema: siteConfigSchema },
        ...errorResponses(),
      },
    },
    async () => {
      const { account, passwords, captcha, matrix, http } = deps.config;
      const passwordsOn = passwords.enabled;
      const body: z.infer<typeof siteConfigSchema> = {
        server_name: matrix?.homeserver ?? new URL(http.public_base).hostname,
        password_login_enabled: passwordsOn,
        password_registration_enabled: passwordsOn && account.password_registration_enabled,
        password_registration_email_required: account.password_registration_email_required,
        password_registration_token_required: account.password_registration_token_required,
        registration_token_required: account.password_registration_token_required,
        email_change_allowed: account.email_change_allowed,
        displayname_change_allowed: account.displayname_change_allowed,
        password_change_allowed: passwordsOn && account.password_change_allowed,
        account_recovery_allowed: passwordsOn && account.password_recovery_enabled,
        account_deactivation_allowed: account.account_deactivation_allowed,
        captcha_enabled: captcha.service !== null && captcha.service !== undefined,
        minimum_password_complexity: passwords.minimum_complexity,
      };
      return { body };
    },
  );

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: '/version',
      operationId: 'version',
      summary: 'Get the version of the server',
      tag: 'server',
      responses: {
        200: { description: 'The version', schema: versionSchema },
        ...errorResponses(),
      },
    },
    async () => ({ body: { version: deps.version } }),
  );
}
