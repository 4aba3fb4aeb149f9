// `http` section: the public URL, the issuer, trusted reverse proxies and the HTTP listeners, with
// MAS's keys and defaults (crates/config/src/sections/http.rs). Each listener serves a list of
// resources (discriminated by `name`) on one or more binds (TCP address, host+port, UNIX socket or
// an inherited file descriptor), optionally under a path prefix and with TLS.
//
// Values stay as written (no transforms), so the schema also documents the file as JSON Schema;
// `parseBindAddress`, `parseSocketMode` and `httpIssuer` below give code their meaning.

import { isIP } from 'node:net';
import { z } from 'zod';

const resourceNames = [
  'discovery',
  'human',
  'oauth',
  'compat',
  'graphql',
  'assets',
  'adminapi',
  'health',
  'prometheus',
  'connection-info',
] as const;

const bare = <N extends string>(name: N, description: string) =>
  z.strictObject({ name: z.literal(name).describe(description) }).describe(description);

export const httpResourceSchema = z
  .discriminatedUnion(
    'name',
    [
      bare(
        'discovery',
        'OIDC discovery documents (`/.well-known/openid-configuration`, webfinger).',
      ),
      bare('human', 'Pages for people: login, registration, consent, account management.'),
      bare('oauth', 'OAuth 2.0 / OIDC endpoints (token, introspection, revocation, keys, ...).'),
      bare(
        'compat',
        'Matrix client-server login compatibility endpoints (`/_matrix/client/*/login`, ...).',
      ),
      z
        .strictObject({
          name: z.literal('graphql').describe('The GraphQL API used by the account pages.'),
          playground: z.boolean().default(false).describe('Also serve the GraphQL playground.'),
          undocumented_oauth2_access: z
            .boolean()
            .default(false)
            .describe('Let OAuth 2.0 clients call the GraphQL API (undocumented in MAS).'),
        })
        .describe('The GraphQL API used by the account pages.'),
      z
        .strictObject({
          name: z.literal('assets').describe('Static files on `/assets/`.'),
          path: z
            .string()
            .optional()
            .describe('Directory to serve. Defaults to the assets shipped with Gatehouse.'),
        })
        .describe('Static files on `/assets/`, precompressed `.br`/`.gz` served when accepted.'),
      bare('adminapi', 'The admin REST API on `/api/admin/v1` and its OpenAPI document.'),
      bare('health', 'Health checks on `/health` (and `/health/live`, `/health/ready`).'),
      bare('prometheus', 'Prometheus metrics on `/metrics` (process and HTTP request metrics).'),
      bare('connection-info', 'A debugging dump of the connection on `/connection-info`.'),
    ],
    {
      error: (issue) =>
        issue.code === 'invalid_union'
          ? `unknown resource; expected one of ${resourceNames.join(', ')}`
          : undefined,
    },
  )
  .describe('A resource a listener serves, chosen by `name`.');

const bindForms = [
  z
    .strictObject({
      host: z.string().optional().describe('Host or IP to listen on. Defaults to every address.'),
      port: z.number().int().min(0).max(65535).describe('TCP port to listen on.'),
    })
    .describe('Listen on a host and port.'),
  z
    .strictObject({
      address: z
        .string()
        .superRefine((value, ctx) => {
          try {
            parseBindAddress(value);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: (error as Error).message });
          }
        })
        .describe('`HOST:PORT` to listen on, e.g. `[::]:8080` or `127.0.0.1:8080`.'),
    })
    .describe('Listen on an address.'),
  z
    .strictObject({
      socket: z
        .string()
        .min(1)
        .describe('Path of the UNIX socket. An existing socket there is replaced.'),
      mode: z
        .union([z.string(), z.number().int()])
        .superRefine((value, ctx) => {
          try {
            parseSocketMode(value);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: (error as Error).message });
          }
        })
        .optional()
        .describe('Octal permissions for the socket, e.g. "660". Defaults to the process umask.'),
    })
    .describe('Listen on a UNIX domain socket.'),
  z
    .strictObject({
      fd: z
        .number()
        .int()
        .nonnegative()
        .default(0)
        .describe(
          'Index of a socket passed by the parent process (systemd socket activation): 0 is fd 3.',
        ),
      kind: z.enum(['tcp', 'unix']).default('tcp').describe('Kind of the inherited socket.'),
    })
    .describe('Accept connections on a socket inherited from the parent process.'),
] as const;

export const httpBindSchema = z
  .union(bindForms, {
    error: (issue) => {
      const generic =
        'a bind is one of `address`, `host` with `port`, `socket` (with `mode`), or `fd` (with `kind`)';
      if (issue.code !== 'invalid_union' || typeof issue.input !== 'object' || issue.input === null)
        return generic;
      // The form that has all its keys and no others is the one meant: report its complaint.
      const meant = issue.errors.find((branch) =>
        branch.every(
          (i) =>
            i.code !== 'unrecognized_keys' && !(i.code === 'invalid_type' && i.input === undefined),
        ),
      );
      const first = meant?.[0];
      return first === undefined || first.path.length === 0
        ? generic
        : `\`${first.path.join('.')}\`: ${first.message}`;
    },
  })
  .describe('Where a listener accepts connections.');

export const httpTlsSchema = z
  .strictObject({
    certificate: z.string().optional().describe('PEM certificate chain.'),
    certificate_file: z.string().optional().describe('File holding the PEM certificate chain.'),
    key: z.string().optional().describe('PEM private key.'),
    key_file: z.string().optional().describe('File holding the PEM or DER private key.'),
    password: z.string().optional().describe('Password of an encrypted private key.'),
    password_file: z.string().optional().describe('File holding the password of the private key.'),
  })
  .superRefine((tls, ctx) => {
    const pair = (inline: keyof typeof tls, file: keyof typeof tls, required: string | null) => {
      if (tls[inline] !== undefined && tls[file] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [file],
          message: `set \`${inline}\` or \`${file}\`, not both`,
        });
      }
      if (required !== null && tls[inline] === undefined && tls[file] === undefined) {
        ctx.addIssue({ code: 'custom', message: `TLS configuration is missing a ${required}` });
      }
    };
    pair('certificate', 'certificate_file', 'certificate');
    pair('key', 'key_file', 'private key');
    pair('password', 'password_file', null);
  })
  .describe('Serve this listener over TLS with the given certificate and key.');

export const httpListenerSchema = z
  .strictObject({
    name: z.string().optional().describe('Name of the listener, shown in logs and metrics.'),
    resources: z
      .array(httpResourceSchema)
      .min(1, 'listener has no resources')
      .describe('Resources to serve.'),
    prefix: z
      .string()
      .startsWith('/', 'must start with `/`')
      .optional()
      .describe('Path prefix to mount the resources under, e.g. `/auth`.'),
    binds: z
      .array(httpBindSchema)
      .min(1, 'listener does not bind to any address')
      .describe('Addresses, sockets or file descriptors to listen on.'),
    proxy_protocol: z
      .boolean()
      .default(false)
      .describe("Expect HAProxy's PROXY protocol on connections."),
    tls: httpTlsSchema.optional(),
  })
  .describe('An HTTP listener: what it serves and where.');

/** MAS's default trusted proxies (private networks and loopback). MAS writes 10.0.0.0/10. */
const defaultTrustedProxies = [
  '192.168.0.0/16',
  '172.16.0.0/12',
  '10.0.0.0/10',
  '127.0.0.0/8',
  'fd00::/8',
  '::1/128',
];

const defaultListeners = [
  {
    name: 'web',
    resources: [
      { name: 'discovery' as const },
      { name: 'human' as const },
      { name: 'oauth' as const },
      { name: 'compat' as const },
      { name: 'graphql' as const, playground: false, undocumented_oauth2_access: false },
      { name: 'assets' as const },
    ],
    binds: [{ address: '[::]:8080' }],
    proxy_protocol: false,
  },
  {
    name: 'internal',
    resources: [{ name: 'health' as const }],
    binds: [{ host: 'localhost', port: 8081 }],
    proxy_protocol: false,
  },
];

const url = (description: string) =>
  z
    .string()
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
      message: 'must be an absolute http(s) URL',
    })
    .describe(description);

const cidr = z
  .string()
  .refine(isCidr, { message: 'must be an IP address or network, e.g. `10.0.0.0/8` or `::1`' })
  .describe('An IP address or network in CIDR notation.');

export const httpSchema = z
  .strictObject({
    listeners: z
      .array(httpListenerSchema)
      .default(() => structuredClone(defaultListeners))
      .describe(
        'HTTP listeners. Defaults to `web` on `[::]:8080` and `internal` (health) on `localhost:8081`.',
      ),
    trusted_proxies: z
      .array(cidr)
      .default(() => [...defaultTrustedProxies])
      .describe('Reverse proxies whose `X-Forwarded-For` header is believed.'),
    public_base: url(
      'Public URL where Gatehouse is reachable; absolute URLs are built from it.',
    ).default('http://[::]:8080/'),
    issuer: url('OIDC issuer advertised in discovery. Defaults to `public_base`.').optional(),
  })
  .describe('The web server: public URL, issuer, trusted proxies and listeners.');

export type HttpConfig = z.infer<typeof httpSchema>;
export type HttpListenerConfig = z.infer<typeof httpListenerSchema>;
export type HttpResourceConfig = z.infer<typeof httpResourceSchema>;
export type HttpBindConfig = z.infer<typeof httpBindSchema>;
export type HttpTlsConfig = z.infer<typeof httpTlsSchema>;
export type HttpResourceName = HttpResourceConfig['name'];

/** The issuer: `issuer` when set, else `public_base`. */
export function httpIssuer(config: HttpConfig): string {
  return config.issuer ?? config.public_base;
}

/** Splits `HOST:PORT` (`[v6]:PORT` for IPv6). Throws a one-line message when malformed. */
export function parseBindAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65535) {
    throw new Error(
      `"${address}" is not HOST:PORT (write IPv6 addresses in brackets, e.g. "[::]:8080")`,
    );
  }
  const host = match[1] ?? match[2]!;
  if (match[1] !== undefined && isIP(host.replace(/%.*$/, '')) !== 6) {
    throw new Error(`"${address}": "${host}" is not an IPv6 address`);
  }
  return { host, port };
}

/**
 * A socket `mode` as permission bits. Strings are octal ("660", "0660"). YAML readers turn an
 * unquoted `660` into the number 660, so a number is read by its digits as octal too, as MAS does
 * (it reads the value as text); digits 8 and 9 are refused rather than guessed.
 */
export function parseSocketMode(mode: string | number): number {
  const digits = typeof mode === 'number' ? String(mode) : mode.replace(/^0o/i, '');
  if (!/^[0-7]{1,4}$/.test(digits)) {
    throw new Error(
      `"${mode}" is not an octal file mode; write it as a quoted string such as "660"`,
    );
  }
  return parseInt(digits, 8);
}

function isCidr(value: string): boolean {
  const [ip, bits, ...rest] = value.split('/');
  if (rest.length > 0 || ip === undefined) return false;
  const family = isIP(ip);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
}
