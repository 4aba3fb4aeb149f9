// `clients` section: OAuth 2.0 / OIDC clients declared in the configuration ("static" clients),
// synced to the database at start-up (removed only by `config sync --prune`).

import { z } from 'zod';
import { notBoth, ulid, url } from '../schema-kit.ts';

/** Members of a private JWK; a client's key set must be public. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const publicJwk = z
  .looseObject({
    kty: z.string().describe('Key type (`RSA`, `EC`, `OKP`).'),
  })
  .superRefine((value, ctx) => {
    for (const member of PRIVATE_JWK_MEMBERS) {
      if (member in value) {
        ctx.addIssue({
          code: 'custom',
          path: [member],
          message: 'private key material is not allowed in a client JWKS',
        });
      }
    }
  })
  .describe('A public JSON Web Key (RFC 7517).');

export const CLIENT_AUTH_METHODS = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
] as const;

export const clientSchema = z
  .strictObject({
    client_id: ulid('Client ID. Must be a ULID, e.g. `0000000000000000000SYNAPSE`.'),
    client_auth_method: z
      .enum(CLIENT_AUTH_METHODS)
      .describe(
        'How the client authenticates at the token endpoint: `none` (public client), `client_secret_basic`, ' +
          '`client_secret_post`, `client_secret_jwt` or `private_key_jwt`.',
      ),
    client_name: z.string().optional().describe('Name of the client shown to users.'),
    client_uri: url(
      'Web page with information about the client, linked from consent pages.',
    ).optional(),
    client_secret: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Client secret, for `client_secret_basic`, `client_secret_post` and `client_secret_jwt`.',
      ),
    client_secret_file: z
      .string()
      .optional()
      .describe('File holding `client_secret` (surrounding whitespace is trimmed).'),
    jwks: z
      .strictObject({
        keys: z.array(publicJwk).describe('The public keys.'),
      })
      .optional()
      .describe(
        'Public key set used to check `private_key_jwt` assertions. Exclusive with `jwks_uri`.',
      ),
    jwks_uri: url(
      'URL of the public key set used to check `private_key_jwt` assertions. Exclusive with `jwks`.',
    ).optional(),
    redirect_uris: z
      .array(url('A redirect URI, matched exactly (loopback URIs match any port).'))
      .default(() => [])
      .describe('Redirect URIs the client may use.'),
  })
  .superRefine((value, ctx) => {
    notBoth(value, ctx, 'client_secret', 'client_secret_file');
    const hasSecret = value.client_secret !== undefined || value.client_secret_file !== undefined;
    const method = value.client_auth_method;
    const reject = (key: string, why: string) =>
      ctx.addIssue({ code: 'custom', path: [key], message: why });
    switch (method) {
      case 'private_key_jwt':
        if (value.jwks === undefined && value.jwks_uri === undefined) {
          reject('client_auth_method', '`jwks` or `jwks_uri` is required for private_key_jwt');
        }
        if (value.jwks !== undefined && value.jwks_uri !== undefined)
          reject('jwks', 'set `jwks` or `jwks_uri`, not both');
        if (hasSecret) reject('client_secret', 'not allowed with private_key_jwt');
        break;
      case 'client_secret_basic':
      case 'client_secret_post':
      case 'client_secret_jwt':
        if (!hasSecret)
          reject(
            'client_auth_method',
            `\`client_secret\` or \`client_secret_file\` is required for ${method}`,
          );
        if (value.jwks !== undefined) reject('jwks', `not allowed with ${method}`);
        if (value.jwks_uri !== undefined) reject('jwks_uri', `not allowed with ${method}`);
        break;
      case 'none':
        if (hasSecret)
          reject(
            value.client_secret !== undefined ? 'client_secret' : 'client_secret_file',
            'not allowed for a public client (`none`)',
          );
        if (value.jwks !== undefined) reject('jwks', 'not allowed for a public client (`none`)');
        if (value.jwks_uri !== undefined)
          reject('jwks_uri', 'not allowed for a public client (`none`)');
        break;
    }
  })
  .describe('A static OAuth 2.0 client. All grant types are enabled for it.');

export const clientsSchema = z
  .array(clientSchema)
  .superRefine((clients, ctx) => {
    const seen = new Map<string, number>();
    clients.forEach((client, index) => {
      const id = client.client_id.toUpperCase();
      const first = seen.get(id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'client_id'],
          message: `duplicate of clients[${first}].client_id`,
        });
      } else {
        seen.set(id, index);
      }
    });
  })
  .describe('OAuth 2.0 / OIDC clients declared here, synced to the database at start-up.');

export type ClientConfig = z.infer<typeof clientSchema>;
export type ClientsConfig = z.infer<typeof clientsSchema>;
