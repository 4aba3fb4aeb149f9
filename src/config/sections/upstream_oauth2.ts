// `upstream_oauth2` section: upstream OpenID Connect / OAuth 2.0 providers users can sign in with,
// and how their claims become local account attributes. Synced to the database at start-up; list
// order is the order of the buttons on the sign-in page. Every template (claims imports, extra
// authorization parameters) is compiled here, so a bad one is a configuration problem with its YAML
// path. `login_only`, `claims_requirements` and `admin_claim` are Gatehouse-only (docs/upstream.md).

import { z } from 'zod';
import { jwsAlgorithm, notBoth, ulid, url } from '../schema-kit.ts';
import { ClaimTemplateError, compileClaimTemplate } from '../../upstream/claim-template.ts';

export const IMPORT_ACTIONS = ['ignore', 'suggest', 'force', 'require'] as const;

const action = (what: string) =>
  z
    .enum(IMPORT_ACTIONS)
    .default('ignore')
    .describe(
      `What to do with the ${what}: \`ignore\` it, \`suggest\` it (the user may opt out), \`force\` it (skip when ` +
        'missing) or `require` it (fail when missing).',
    );

/** A Jinja2 template, compiled when the configuration loads so a bad one is a config error. */
const templateSource = () =>
  z.string().superRefine((source, ctx) => {
    try {
      compileClaimTemplate(source);
    } catch (error) {
      if (!(error instanceof ClaimTemplateError)) throw error;
      ctx.addIssue({ code: 'custom', message: `invalid template: ${error.message}` });
    }
  });

const template = (fallback: string | null, what: string) =>
  templateSource()
    .optional()
    .describe(
      `Template (Jinja2 syntax) computing the ${what} from the upstream claims in \`user\`.` +
        (fallback === null ? ' Unset: not imported.' : ` Default: \`${fallback}\`.`),
    );

export const claimsImportsSchema = z
  .strictObject({
    subject: z
      .strictObject({
        template: template(
          '{{ user.sub }}',
          'subject that links the upstream identity to an account',
        ),
      })
      .prefault({})
      .describe('How to identify the upstream user.'),
    skip_confirmation: z
      .boolean()
      .default(false)
      .describe(
        'Skip the page asking the user to confirm imported attributes. Needs `localpart.action: require` and ' +
          'no `suggest` action on the other attributes.',
      ),
    localpart: z
      .strictObject({
        action: action('localpart (username)'),
        template: template('{{ user.preferred_username }}', 'localpart of the Matrix ID'),
        on_conflict: z
          .enum(['fail', 'add', 'replace', 'set'])
          .default('fail')
          .describe(
            'When the localpart belongs to an existing account: `fail`, `add` a link to that account, `replace` ' +
              'its link to this provider, or `set` a link only if it has none. Other than `fail` needs action ' +
              '`force` or `require`.',
          ),
      })
      .prefault({})
      .describe('Import of the localpart of the Matrix ID.'),
    displayname: z
      .strictObject({
        action: action('display name'),
        template: template('{{ user.name }}', 'display name'),
      })
      .prefault({})
      .describe('Import of the display name.'),
    email: z
      .strictObject({
        action: action('email address'),
        template: template('{{ user.email }}', 'email address'),
        set_email_verification: z
          .enum(['import', 'always', 'never'])
          .optional()
          .describe(
            "Whether the imported address counts as verified: `import` (the default) trusts the provider's " +
              '`email_verified` claim, `always` and `never` decide regardless. (Recent MAS versions ignore it.)',
          ),
      })
      .prefault({})
      .describe('Import of an email address.'),
    account_name: z
      .strictObject({ template: template(null, 'name of the upstream account, shown to the user') })
      .prefault({})
      .describe('A display name for the upstream account.'),
  })
  .superRefine((value, ctx) => {
    if (value.skip_confirmation) {
      if (value.localpart.action !== 'require') {
        ctx.addIssue({
          code: 'custom',
          path: ['localpart', 'action'],
          message: 'must be `require` when `skip_confirmation` is true',
        });
      }
      for (const key of ['displayname', 'email'] as const) {
        if (value[key].action === 'suggest') {
          ctx.addIssue({
            code: 'custom',
            path: [key, 'action'],
            message: 'must not be `suggest` when `skip_confirmation` is true',
          });
        }
      }
    }
    if (
      value.localpart.on_conflict !== 'fail' &&
      !['force', 'require'].includes(value.localpart.action)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['localpart', 'action'],
        message: `must be \`force\` or \`require\` when \`on_conflict\` is \`${value.localpart.on_conflict}\``,
      });
    }
  })
  .describe('How upstream claims become attributes of the local account.');

const matcherShape = {
  claim: z
    .string()
    .min(1)
    .describe(
      'The claim to test: its name, or a dotted path into nested objects (`realm_access.roles`).',
    ),
  contains: z
    .string()
    .optional()
    .describe('Passes when the claim is a list holding this value (or is this single value).'),
  equals: z.string().optional().describe('Passes when the claim (a scalar) equals this value.'),
};

function exactlyOneTest(
  value: { contains?: string | undefined; equals?: string | undefined },
  ctx: z.core.$RefinementCtx<unknown>,
): void {
  if ((value.contains === undefined) === (value.equals === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['contains'],
      message: 'set `contains` or `equals`, exactly one',
    });
  }
}

const claimRequirementSchema = z
  .strictObject({
    ...matcherShape,
    message: z
      .string()
      .optional()
      .describe('Shown to a user who fails the test; unset: a generic refusal.'),
  })
  .superRefine(exactlyOneTest)
  .describe('A test on one upstream claim.');

const adminClaimSchema = z
  .strictObject({
    ...matcherShape,
    revoke: z
      .boolean()
      .default(false)
      .describe('Also take admin rights away at login from a user whose claims no longer pass.'),
  })
  .superRefine(exactlyOneTest)
  .describe(
    'Gatehouse only. A test on the upstream claims that grants admin rights (`can_request_admin`) at each ' +
      'login through this provider, e.g. `{claim: groups, contains: admins}`.',
  );

export const UPSTREAM_AUTH_METHODS = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'sign_in_with_apple',
] as const;

export const upstreamProviderSchema = z
  .strictObject({
    id: ulid(
      'Stable identifier of the provider, a ULID; part of the callback URL `/upstream/callback/<id>`.',
    ),
    enabled: z.boolean().default(true).describe('Whether users may sign in with this provider.'),
    synapse_idp_id: z
      .string()
      .optional()
      .describe(
        'ID of this provider in Synapse, needed to import its links from Synapse: `oidc-<idp_id>` for ' +
          '`oidc_providers`, `oidc` for the legacy `oidc_config`.',
      ),
    issuer: z
      .string()
      .optional()
      .describe(
        'Issuer of the provider. Required unless `discovery_mode` is `disabled`; must match the discovered `issuer`.',
      ),
    human_name: z.string().optional().describe('Name of the provider shown on the sign-in page.'),
    brand_name: z
      .string()
      .optional()
      .describe(
        'Brand used for the button style; the built-in templates know apple, google, facebook, github, gitlab, twitter, discord.',
      ),
    client_id: z.string().min(1).describe('Client ID registered at the provider.'),
    client_secret: z
      .string()
      .optional()
      .describe(
        'Client secret from the provider, for `client_secret_basic`, `client_secret_post` and `client_secret_jwt`.',
      ),
    client_secret_file: z.string().optional().describe('File holding `client_secret`.'),
    token_endpoint_auth_method: z
      .enum(UPSTREAM_AUTH_METHODS)
      .describe(
        'How to authenticate at the provider token endpoint: `none`, `client_secret_basic`, `client_secret_post`, ' +
          '`client_secret_jwt`, `private_key_jwt` (with the keys of `secrets`) or `sign_in_with_apple`.',
      ),
    sign_in_with_apple: z
      .strictObject({
        private_key: z
          .string()
          .optional()
          .describe('PEM private key from the Apple developer portal.'),
        private_key_file: z.string().optional().describe('File holding `private_key`.'),
        team_id: z.string().min(1).describe('Team ID from the Apple developer portal.'),
        key_id: z.string().min(1).describe('Key ID from the Apple developer portal.'),
      })
      .superRefine((value, ctx) => {
        notBoth(value, ctx, 'private_key', 'private_key_file');
        if (value.private_key === undefined && value.private_key_file === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['private_key'],
            message: 'missing: set `private_key` or `private_key_file`',
          });
        }
      })
      .optional()
      .describe(
        'Settings of the `sign_in_with_apple` method; required with it, refused otherwise.',
      ),
    token_endpoint_auth_signing_alg: jwsAlgorithm(
      'Signing algorithm of the client assertion; required with `client_secret_jwt` and `private_key_jwt`, refused otherwise.',
    ).optional(),
    id_token_signed_response_alg: jwsAlgorithm('Expected signing algorithm of ID tokens.').default(
      'RS256',
    ),
    scope: z
      .string()
      .default('openid')
      .describe('Scopes to request, space-separated; usually includes `openid`.'),
    discovery_mode: z
      .enum(['oidc', 'insecure', 'disabled'])
      .default('oidc')
      .describe(
        'How to learn the provider endpoints: `oidc` (discovery, strict metadata checks), `insecure` (discovery, ' +
          'relaxed checks) or `disabled` (use the endpoint keys below).',
      ),
    pkce_method: z
      .enum(['auto', 'always', 'never'])
      .default('auto')
      .describe(
        'PKCE use: `auto` (when discovery says it is supported), `always` (S256) or `never`.',
      ),
    fetch_userinfo: z
      .boolean()
      .default(false)
      .describe('Read claims from the userinfo endpoint instead of only the ID token.'),
    userinfo_signed_response_alg: jwsAlgorithm(
      'Expected signing algorithm of userinfo responses; unset: plain JSON.',
    ).optional(),
    authorization_endpoint: url('Authorization endpoint, overriding discovery.').optional(),
    token_endpoint: url('Token endpoint, overriding discovery.').optional(),
    userinfo_endpoint: url('Userinfo endpoint, overriding discovery.').optional(),
    jwks_uri: url('URL of the provider key set, overriding discovery.').optional(),
    response_mode: z
      .enum(['query', 'form_post'])
      .optional()
      .describe(
        'How the provider returns to the callback: `query` or `form_post`. Unset: not sent.',
      ),
    claims_imports: claimsImportsSchema
      .prefault({})
      .describe('How upstream claims become attributes of the local account.'),
    additional_authorization_parameters: z
      .record(z.string(), templateSource())
      .default(() => ({}))
      .describe(
        'Extra authorization request parameters. Each value is a template with `params` (query parameters of the ' +
          'downstream authorization request) and `logged_out` (the browser just signed out); empty results are dropped.',
      ),
    forward_login_hint: z
      .boolean()
      .default(false)
      .describe(
        'Deprecated: forward `login_hint`; prefer `login_hint: "{{ params.login_hint }}"` above.',
      ),
    on_backchannel_logout: z
      .enum(['do_nothing', 'logout_browser_only', 'logout_all'])
      .default('do_nothing')
      .describe(
        'On an OIDC back-channel logout from the provider: `do_nothing`, `logout_browser_only` (the browser ' +
          'session it started) or `logout_all` (that and the client sessions started from it).',
      ),
    registration_token_required: z
      .boolean()
      .default(false)
      .describe('Whether registering through this provider requires a registration token.'),
    login_only: z
      .boolean()
      .default(false)
      .describe(
        'Gatehouse only. Never create accounts through this provider: it signs in users already linked to it ' +
          '(or, with `claims_imports.localpart.on_conflict`, matched by username); anyone else is refused.',
      ),
    claims_requirements: z
      .array(claimRequirementSchema)
      .default(() => [])
      .describe(
        'Gatehouse only. Tests on the upstream claims that must all pass for a login through this provider, ' +
          'e.g. `[{claim: groups, contains: matrix-users, message: "Ask IT for access"}]`.',
      ),
    admin_claim: adminClaimSchema.optional(),
  })
  .superRefine((value, ctx) => {
    const issue = (key: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [key], message });
    notBoth(value, ctx, 'client_secret', 'client_secret_file');
    const method = value.token_endpoint_auth_method;
    if (value.discovery_mode !== 'disabled' && value.issuer === undefined) {
      issue('issuer', 'required unless `discovery_mode` is `disabled`');
    }
    const hasSecret = value.client_secret !== undefined || value.client_secret_file !== undefined;
    const secretMethods: readonly string[] = [
      'client_secret_basic',
      'client_secret_post',
      'client_secret_jwt',
    ];
    if (secretMethods.includes(method)) {
      if (!hasSecret) issue('client_secret', `required with \`${method}\``);
    } else if (hasSecret) {
      issue(
        value.client_secret !== undefined ? 'client_secret' : 'client_secret_file',
        `not used with \`${method}\``,
      );
    }
    const jwtMethods: readonly string[] = ['client_secret_jwt', 'private_key_jwt'];
    if (jwtMethods.includes(method)) {
      if (value.token_endpoint_auth_signing_alg === undefined)
        issue('token_endpoint_auth_signing_alg', `required with \`${method}\``);
    } else if (value.token_endpoint_auth_signing_alg !== undefined) {
      issue('token_endpoint_auth_signing_alg', `not used with \`${method}\``);
    }
    if (method === 'sign_in_with_apple') {
      if (value.sign_in_with_apple === undefined)
        issue('sign_in_with_apple', 'required with `sign_in_with_apple`');
    } else if (value.sign_in_with_apple !== undefined) {
      issue('sign_in_with_apple', `not used with \`${method}\``);
    }
  })
  .describe('An upstream OAuth 2.0 / OpenID Connect provider.');

export const upstreamOauth2Schema = z
  .strictObject({
    providers: z
      .array(upstreamProviderSchema)
      .default(() => [])
      .superRefine((providers, ctx) => {
        const seen = new Map<string, number>();
        providers.forEach((provider, index) => {
          const id = provider.id.toUpperCase();
          const first = seen.get(id);
          if (first === undefined) seen.set(id, index);
          else
            ctx.addIssue({
              code: 'custom',
              path: [index, 'id'],
              message: `duplicate of providers[${first}].id`,
            });
        });
      })
      .describe('The providers, in the order shown on the sign-in page.'),
  })
  .describe('Upstream OAuth 2.0 / OpenID Connect providers.');

export type ClaimsImportsConfig = z.infer<typeof claimsImportsSchema>;
export type UpstreamProviderConfig = z.infer<typeof upstreamProviderSchema>;
export type UpstreamOauth2Config = z.infer<typeof upstreamOauth2Schema>;
