// Sample contexts for every page template, one or more per template: the tests (and later
// `gatehouse templates check`) render each of them, so a template that breaks on a context its
// handler really passes is caught before it reaches a user.
//
// To add a page: add its samples here under the template's name (`pages/<name>.html`).

const common = { base_path: '/', csrf_token: 'sample-csrf-token' };
const accountLinks = {
  overview: '/account',
  sessions: '/account/sessions',
  consents: '/account/consents',
  password: '/account/password',
};

export const templateSamples: Record<string, readonly object[]> = {
  'pages/index.html': [
    { ...common, user: null },
    { ...common, user: { username: 'alice' } },
  ],
  'pages/login.html': [
    { ...common, next: null, username: '', error: null, signed_in_as: null },
    {
      ...common,
      next: '/authorize?client_id=abc&state=<x>',
      username: 'alice',
      error: 'Invalid username or password.',
      signed_in_as: null,
    },
    {
      ...common,
      base_path: '/auth/',
      next: null,
      username: 'bob',
      error: null,
      signed_in_as: 'bob',
    },
  ],
  'pages/login-disabled.html': [{ ...common }],
  'pages/error.html': [
    {
      ...common,
      status: 400,
      title: 'Bad request',
      message: 'The form has expired.',
      details: null,
      back: null,
    },
    {
      ...common,
      status: 500,
      title: 'Something went wrong',
      message: 'Please try again later.',
      details: 'Request id: 01J0000000',
      back: '/login',
    },
  ],
  'pages/link.html': [
    { ...common, code: '', error: null },
    {
      ...common,
      code: 'abc-<x>',
      error: 'This code is not valid or has expired. Check the code on your device.',
    },
  ],
  'pages/device-consent.html': [
    {
      ...common,
      grant_id: '01J00000000000000000000000',
      user_code: 'ABC123',
      username: 'alice',
      client: {
        name: 'Living Room <TV>',
        client_uri: 'https://tv.example.com/',
        logo_uri: 'https://tv.example.com/logo.png',
        policy_uri: 'https://tv.example.com/privacy',
        tos_uri: 'https://tv.example.com/tos',
      },
      scopes: [
        { scope: 'openid', description: 'Know who you are on this service' },
        { scope: 'urn:matrix:client:api:*', description: 'Use your Matrix account' },
      ],
    },
    {
      ...common,
      base_path: '/auth/',
      grant_id: '01J00000000000000000000000',
      user_code: 'XYZ789',
      username: 'bob',
      client: {
        name: '01J00000000000000000000001',
        client_uri: null,
        logo_uri: null,
        policy_uri: null,
        tos_uri: null,
      },
      scopes: [],
    },
  ],
  'pages/compat-sso-continue.html': [
    {
      ...common,
      login_id: '01J00000000000000000000000',
      username: 'alice',
      redirect_host: 'app.element.io',
    },
    {
      ...common,
      base_path: '/auth/',
      login_id: '01J00000000000000000000001',
      username: 'bob',
      redirect_host: '<script>.example:8443',
    },
  ],
  'pages/device-done.html': [
    { ...common, allowed: true, client_name: 'Living Room TV' },
    { ...common, allowed: false, client_name: 'Living Room <TV>' },
  ],
  'pages/logout-confirm.html': [
    {
      ...common,
      action: '/oauth2/logout',
      username: 'alice',
      client_name: 'Example RP',
      id_token_hint: 'eyJhbGciOiJSUzI1NiJ9.e30.sig',
      client_id: '01J00000000000000000000001',
      post_logout_redirect_uri: 'https://rp.example.com/bye?a=1&b=2',
      state: 'x"y',
      ui_locales: 'fr en',
    },
    {
      ...common,
      action: '/auth/oauth2/logout',
      username: 'bob',
      client_name: null,
      id_token_hint: null,
      client_id: null,
      post_logout_redirect_uri: null,
      state: null,
      ui_locales: null,
    },
  ],
  'pages/logged-out.html': [
    { ...common, client_name: 'Example RP' },
    { ...common, client_name: null },
  ],
  'pages/consent.html': [
    {
      ...common,
      grant_id: '01J00000000000000000000000',
      username: 'alice',
      client: {
        name: 'Element <X>',
        logo_uri: 'https://app.example.com/logo.png',
        client_uri: 'https://app.example.com/',
        tos_uri: 'https://app.example.com/tos',
        policy_uri: 'https://app.example.com/privacy',
        redirect_host: 'app.example.com',
      },
      scopes: [
        { scope: 'openid', description: 'Know who you are on this service' },
        { scope: 'custom:x', description: 'Other permission: custom:x' },
      ],
    },
    {
      ...common,
      base_path: '/auth/',
      grant_id: '01J00000000000000000000001',
      username: 'bob',
      client: {
        name: 'app.example.com',
        logo_uri: null,
        client_uri: null,
        tos_uri: null,
        policy_uri: null,
        redirect_host: 'app.example.com',
      },
      scopes: [],
    },
  ],
  'pages/form-post.html': [
    {
      ...common,
      redirect_uri: 'https://app.example.com/callback',
      client_name: 'Example App',
      parameters: [
        { name: 'code', value: 'abcdefghijklmnopqrstuvwxyz012345' },
        { name: 'state', value: '"><x>' },
      ],
    },
  ],
  'pages/register.html': [
    {
      ...common,
      password_href: '/register/password?next=%2Fauthorize',
      login_href: '/login',
      providers: [
        { name: 'Example <IdP>', href: '/upstream/authorize/01J00000000000000000000000' },
      ],
    },
    { ...common, password_href: null, login_href: '/login', providers: [] },
  ],
  'pages/register-password.html': [
    {
      ...common,
      next: null,
      username: '',
      email: '',
      email_required: true,
      terms_url: null,
      captcha: null,
      errors: {},
      error: null,
      login_href: '/login',
    },
    {
      ...common,
      next: '/authorize/continue/01J00000000000000000000000',
      username: 'al<i>ce',
      email: 'alice@example.com',
      email_required: true,
      terms_url: 'https://example.com/tos',
      // The CAPTCHA widget's third-party script is covered by test/http/human/register.test.ts
      // (the template test allows only same-origin scripts).
      captcha: null,
      errors: {
        username: 'This username is taken. Choose another one.',
        email: 'This email address is not accepted here.',
        password: 'This password is too weak: this is a heavily used password.',
        password_confirm: 'The two passwords do not match.',
        accept_terms: 'You must accept the terms of service to register.',
        captcha: 'The CAPTCHA was not solved. Please try again.',
      },
      error: 'Registration is not possible from your network or browser.',
      login_href: '/login?next=%2F',
    },
    {
      ...common,
      next: null,
      username: 'bob',
      email: '',
      email_required: false,
      terms_url: null,
      captcha: null,
      errors: {},
      error: null,
      login_href: '/login',
    },
  ],
  'pages/register-verify-email.html': [
    {
      ...common,
      action: '/register/steps/01J00000000000000000000000/verify-email',
      email: 'alice@example.com',
      exhausted: false,
      error: null,
      notice: null,
    },
    {
      ...common,
      action: '/register/steps/01J00000000000000000000000/verify-email',
      email: 'a<b>@example.com',
      exhausted: false,
      error: 'This code is wrong or has expired.',
      notice: 'A new code is on its way.',
    },
    {
      ...common,
      action: '/register/steps/01J00000000000000000000000/verify-email',
      email: 'alice@example.com',
      exhausted: true,
      error: 'Too many wrong codes. Send a new code to try again.',
      notice: null,
    },
  ],
  'pages/register-token.html': [
    {
      ...common,
      action: '/register/steps/01J00000000000000000000000/token',
      token: '',
      error: null,
    },
    {
      ...common,
      action: '/register/steps/01J00000000000000000000000/token',
      token: 'abc<x>',
      error: 'This registration token has expired.',
    },
  ],
  'pages/register-display-name.html': [
    {
      ...common,
      action: '/register/steps/01J00000000000000000000000/display-name',
      username: 'alice',
      display_name: '',
      error: null,
    },
    {
      ...common,
      action: '/register/steps/01J00000000000000000000000/display-name',
      username: 'alice',
      display_name: 'Alice <3',
      error: 'Enter a display name, or skip this step.',
    },
  ],
  'pages/recover.html': [
    { ...common, email: '', error: null },
    { ...common, email: 'not an <email>', error: 'Enter a valid email address.' },
  ],
  'pages/recover-progress.html': [
    {
      ...common,
      action: '/recover/progress/01J00000000000000000000000',
      email: 'alice@example.com',
      consumed: false,
      notice: null,
    },
    {
      ...common,
      action: '/recover/progress/01J00000000000000000000000',
      email: 'a<b>@example.com',
      consumed: false,
      notice: 'We sent the email again.',
    },
    {
      ...common,
      action: '/recover/progress/01J00000000000000000000000',
      email: 'alice@example.com',
      consumed: true,
      notice: null,
    },
  ],
  'pages/recover-ticket.html': [
    {
      ...common,
      action: '/account/password/recovery',
      ticket: 'a'.repeat(32),
      username: 'alice',
      errors: {},
    },
    {
      ...common,
      action: '/account/password/recovery',
      ticket: 'a'.repeat(32),
      username: 'al<i>ce',
      errors: { password: 'Too weak.', password_confirm: 'The two passwords do not match.' },
    },
  ],
  'pages/recover-done.html': [
    { ...common, username: 'alice', login_href: '/login?login_hint=alice' },
  ],
  'pages/account.html': [
    { ...common, username: 'alice', emails: [], links: accountLinks },
    {
      ...common,
      username: 'a<l>ice',
      emails: ['alice@example.com', 'a&b@example.com'],
      links: { ...accountLinks, password: null },
    },
  ],
  'pages/account-sessions.html': [
    {
      ...common,
      username: 'alice',
      links: accountLinks,
      browser_sessions: [],
      oauth2_sessions: [],
    },
    {
      ...common,
      username: 'alice',
      links: accountLinks,
      browser_sessions: [
        {
          id: '01J0000000000000000000000A',
          current: true,
          created: '2026-11-22 08:05 UTC',
          last_active: null,
          ip: null,
          user_agent: null,
        },
        {
          id: '01J0000000000000000000000B',
          current: false,
          created: '2026-11-22 08:05 UTC',
          last_active: '2026-11-22 09:00 UTC',
          ip: '192.0.2.1',
          user_agent: 'Firefox on <Linux>',
        },
      ],
      oauth2_sessions: [
        {
          id: '01J0000000000000000000000C',
          client_name: 'Element <web>',
          name: 'My laptop',
          created: '2026-11-22 08:05 UTC',
          last_active: '2026-11-22 09:00 UTC',
          ip: '2001:db8::1',
          user_agent: 'Element on Android',
        },
        {
          id: '01J0000000000000000000000D',
          client_name: 'x',
          name: null,
          created: '2026-11-22 08:05 UTC',
          last_active: null,
          ip: null,
          user_agent: null,
        },
      ],
    },
  ],
  'pages/account-consents.html': [
    { ...common, username: 'alice', links: accountLinks, consents: [] },
    {
      ...common,
      username: 'alice',
      links: accountLinks,
      consents: [
        {
          id: '01J0000000000000000000000E',
          client_name: 'Example <App>',
          scopes: ['openid', 'urn:matrix:client:api:*'],
          granted: '2026-11-22 08:05 UTC',
          updated: '2026-11-23 08:05 UTC',
        },
      ],
    },
  ],
  'pages/account-password.html': [
    {
      ...common,
      username: 'alice',
      links: accountLinks,
      has_password: true,
      changed: false,
      errors: {},
    },
    {
      ...common,
      username: 'alice',
      links: accountLinks,
      has_password: true,
      changed: true,
      errors: {
        current_password: 'This is not your current password.',
        new_password: 'Too <weak>.',
        new_password_confirm: 'The two passwords do not match.',
      },
    },
    {
      ...common,
      username: 'alice',
      links: accountLinks,
      has_password: false,
      changed: false,
      errors: {},
    },
  ],
};

/**
 * Sample contexts for the email templates (`emails/<name>.{subject.txt,txt,html}`, rendered by
 * src/email/email-renderer.ts), keyed by the email's name.
 */
export const emailTemplateSamples: Record<string, readonly object[]> = {
  'verification-code': [
    { code: '012345', email: 'alice@example.com', username: null },
    { code: '987654', email: 'a&b<c>@example.com', username: 'al<i>ce' },
  ],
  recovery: [
    {
      username: 'alice',
      email: 'alice@example.com',
      recovery_link: 'https://auth.example.com/account/password/recovery?ticket=' + 'a'.repeat(32),
    },
    {
      username: 'b<o>b',
      email: 'b&b@example.com',
      recovery_link: 'https://auth.example.com/account/password/recovery?ticket=x&y="z"',
    },
  ],
};
