// `policy` section: MAS evaluates Open Policy Agent policies compiled to WebAssembly at these entry
// points. The keys are kept so MAS configuration files load; `data` is handed to the policy as is.

import { z } from 'zod';

const entrypoint = (fallback: string, description: string) =>
  z.string().min(1).default(fallback).describe(`${description} Default: \`${fallback}\`.`);

export const policySchema = z
  .strictObject({
    wasm_module: z
      .string()
      .optional()
      .describe(
        'Path to a compiled OPA policy (WebAssembly). Default: the policy shipped with Gatehouse (MAS: ' +
          '`./policies/policy.wasm`, `./share/policy.wasm` or `/usr/local/share/mas-cli/policy.wasm`).',
      ),
    client_registration_entrypoint: entrypoint(
      'client_registration/violation',
      'Entry point evaluated on dynamic client registration.',
    ),
    register_entrypoint: entrypoint(
      'register/violation',
      'Entry point evaluated on user registration.',
    ),
    authorization_grant_entrypoint: entrypoint(
      'authorization_grant/violation',
      'Entry point evaluated on authorization grants.',
    ),
    compat_login_entrypoint: entrypoint(
      'compat_login/violation',
      'Entry point evaluated on compatibility (legacy Matrix) logins.',
    ),
    password_entrypoint: entrypoint(
      'password/violation',
      'Entry point for password changes (unused by MAS too).',
    ),
    email_entrypoint: entrypoint(
      'email/violation',
      'Entry point evaluated when an email address is added.',
    ),
    data: z
      .record(z.string(), z.unknown())
      .default(() => ({}))
      .describe(
        'Free-form data given to the policy, e.g. `admin_users`, `client_registration.allow_insecure_uris`, ' +
          '`passwords.min_length`, `emails.allowed_addresses`, `requester.banned_ips`.',
      ),
  })
  .describe('Policy engine settings and data.');

export type PolicyConfig = z.infer<typeof policySchema>;
