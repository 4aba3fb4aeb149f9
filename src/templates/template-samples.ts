// Sample contexts for every page template, one or more per template: the tests (and later
// `gatehouse templates check`) render each of them, so a template that breaks on a context its
// handler really passes is caught before it reaches a user.
//
// To add a page: add its samples here under the template's name (`pages/<name>.html`).

const common = { base_path: '/', csrf_token: 'sample-csrf-token' };

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
};
