// The configuration examples of the MAS documentation (reference/seeds/002_*: the "Configuration
// file reference", the homeserver, database and upstream provider guides), one YAML document per
// example. The seed text lost the lines of keys that only open a block (`http:`, `listeners:`,
// `claims_imports:`, ...); they are restored here from the structure of the examples. A few older
// provider examples lack `id` and `token_endpoint_auth_method`, which MAS has always required; the
// values of the current MAS guides are filled in.

export const seedExamples: Record<string, string> = {
  http: `
http:
  public_base: https://auth.example.com/
  issuer: https://example.com/
  listeners:
    - name: web
      resources:
        - name: discovery
        - name: human
        - name: oauth
        - name: compat
        - name: graphql
          playground: true
        - name: assets
          path: ./share/assets/
      binds:
        - address: "[::]:8080"
        - host: localhost
          port: 8081
        - socket: /tmp/mas.sock
        - fd: 1
          kind: tcp
      proxy_protocol: false
      tls:
        certificate_file: /path/to/cert.pem
        key_file: /path/to/key.pem
    - name: internal
      resources:
        - name: prometheus
        - name: health
      binds:
        - host: localhost
          port: 8082
`,
  'http (reverse proxy guide)': `
http:
  public_base: https://auth.example.com/
  listeners:
    - name: web
      resources:
        - name: discovery
        - name: human
        - name: oauth
        - name: compat
        - name: graphql
      binds:
        - host: localhost
          port: 8080
`,
  'database (uri)': `
database:
  uri: postgresql://user:password@hostname:5432/database?sslmode=require
  min_connections: 0
  max_connections: 10
  connect_timeout: 30
  idle_timeout: 600
  max_lifetime: 1800
`,
  'database (separate parameters)': `
database:
  host: hostname
  port: 5432
  username: user
  password: password
  database: database
`,
  matrix: `
matrix:
  homeserver: example.com
  secret: "SomeRandomSecret"
  endpoint: "http://localhost:8008"
`,
  templates: `
templates:
  path: /to/templates
  assets_manifest: /to/manifest.json
`,
  clients: `
clients:
  - client_id: 000000000000000000000F1RST
    client_auth_method: client_secret_post
    client_secret: secret
    redirect_uris:
      - http://localhost:1234/callback
  - client_id: 00000000000000000000SEC0ND
    client_auth_method: none
`,
  'clients (homeserver guide)': `
clients:
  - client_id: 0000000000000000000SYNAPSE
    client_auth_method: client_secret_basic
    client_secret: "SomeRandomSecret"
`,
  secrets: `
secrets:
  encryption: c7e42fb8baba8f228b2e169fdf4c8216dffd5d33ad18bafd8b928c09ca46c718
  keys:
    - kid: "ahM2bien"
      key: |
        -----BEGIN RSA PRIVATE KEY-----
        -----END RSA PRIVATE KEY-----
    - kid: "iv1aShae"
      key: |
        -----BEGIN EC PRIVATE KEY-----
        -----END EC PRIVATE KEY-----
`,
  passwords: `
passwords:
  enabled: true
  schemes:
    - version: 1
      algorithm: argon2id
`,
  policy: `
policy:
  data:
    admin_users:
      - person1
      - person2
    client_registration:
      allow_host_mismatch: true
      allow_insecure_uris: true
    passwords:
      min_length: 8
      require_lowercase: true
      require_uppercase: true
      require_number: true
`,
  telemetry: `
telemetry:
  tracing:
    propagators:
      - tracecontext
      - baggage
      - jaeger
    exporter: none
  metrics:
    exporter: none
  sentry:
    dsn: https://public@host:port/1
`,
  email: `
email:
  from: '"The almighty auth service" <auth@example.com>'
  reply_to: '"No reply" <no-reply@example.com>'
  transport: blackhole
`,
  'upstream_oauth2 (reference)': `
upstream_oauth2:
  providers:
    - id: 01HFVBY12TMNTYTBV8W921M5FA
      issuer: https://example.com/
      client_id: mas-fb3f0c09c4c23de4
      client_secret: f4f6bb68a0269264877e9cb23b1856ab
      token_endpoint_auth_method: client_secret_post
      scope: "openid email profile"
      claims_imports:
        subject:
          template: "{{ user.sub }}"
        localpart:
          action: force
          template: "{{ user.preferred_username }}"
        displayname:
          action: suggest
          template: "{{ user.name }}"
        email:
          action: suggest
          template: "{{ user.email }}"
          set_email_verification: import
`,
  'upstream_oauth2 (Authentik)': `
upstream_oauth2:
  providers:
    - id: 01HFRQFT5QFMJFGF01P7JAV2ME
      human_name: Authentik
      issuer: "https://<authentik-domain>/application/o/<app-slug>/"
      client_id: "<client-id>"
      client_secret: "<client-secret>"
      token_endpoint_auth_method: client_secret_basic
      scope: "openid profile email"
      claims_imports:
        localpart:
          action: require
          template: "{{ user.preferred_username }}"
        displayname:
          action: suggest
          template: "{{ user.name }}"
        email:
          action: suggest
          template: "{{ user.email }}"
          set_email_verification: always
`,
  'upstream_oauth2 (Facebook)': `
upstream_oauth2:
  providers:
    - id: "01HFS3WM7KSWCEQVJTN0V9X1W6"
      issuer: "https://www.facebook.com"
      human_name: "Facebook"
      brand_name: "facebook"
      discovery_mode: disabled
      pkce_method: always
      authorization_endpoint: "https://facebook.com/v11.0/dialog/oauth/"
      token_endpoint: "https://graph.facebook.com/v11.0/oauth/access_token"
      jwks_uri: "https://www.facebook.com/.well-known/oauth/openid/jwks/"
      token_endpoint_auth_method: "client_secret_post"
      client_id: "<app-id>"
      client_secret: "<app-secret>"
      scope: "openid"
      claims_imports:
        localpart:
          action: ignore
        displayname:
          action: suggest
          template: "{{ user.name }}"
        email:
          action: suggest
          template: "{{ user.email }}"
          set_email_verification: always
`,
  'upstream_oauth2 (GitLab)': `
upstream_oauth2:
  providers:
    - id: "01HFS67GJ145HCM9ZASYS9DC3J"
      issuer: "https://gitlab.com"
      human_name: "GitLab"
      brand_name: "gitlab"
      token_endpoint_auth_method: "client_secret_post"
      client_id: "<client-id>"
      client_secret: "<client-secret>"
      scope: "openid profile email"
      claims_imports:
        displayname:
          action: suggest
          template: "{{ user.name }}"
        localpart:
          action: ignore
        email:
          action: suggest
          template: "{{ user.email }}"
`,
  'upstream_oauth2 (Google)': `
upstream_oauth2:
  providers:
    - id: 01HFS6S2SVAR7Y7QYMZJ53ZAGZ
      human_name: Google
      brand_name: "google"
      issuer: "https://accounts.google.com"
      client_id: "<client-id>"
      client_secret: "<client-secret>"
      token_endpoint_auth_method: client_secret_post
      scope: "openid profile email"
      claims_imports:
        localpart:
          action: ignore
        displayname:
          action: suggest
          template: "{{ user.name }}"
        email:
          action: suggest
          template: "{{ user.email }}"
`,
  'upstream_oauth2 (Keycloak)': `
upstream_oauth2:
  providers:
    - id: "01H8PKNWKKRPCBW4YGH1RWV279"
      issuer: "https://<keycloak>/realms/<realm>"
      token_endpoint_auth_method: client_secret_basic
      client_id: "matrix-authentication-service"
      client_secret: "<client-secret>"
      scope: "openid profile email"
      claims_imports:
        localpart:
          action: require
          template: "{{ user.preferred_username }}"
        displayname:
          action: suggest
          template: "{{ user.name }}"
        email:
          action: suggest
          template: "{{ user.email }}"
          set_email_verification: always
`,
  'upstream_oauth2 (Azure AD)': `
upstream_oauth2:
  providers:
    - id: 01H8PKNWKKRPCBW4YGH1RWV279
      human_name: Microsoft Azure AD
      issuer: "https://login.microsoftonline.com/<tenant-id>/v2.0"
      client_id: "<client-id>"
      client_secret: "<client-secret>"
      token_endpoint_auth_method: client_secret_post
      scope: "openid profile email"
      claims_imports:
        localpart:
          action: require
          template: "{{ (user.preferred_username | split('@'))[0] }}"
        displayname:
          action: suggest
          template: "{{ user.name }}"
        email:
          action: suggest
          template: "{{ user.email }}"
          set_email_verification: always
`,
};
