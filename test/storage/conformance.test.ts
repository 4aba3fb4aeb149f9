// The storage conformance suite: every repository's tests, once per dialect. Each test gets a new,
// migrated database (see test/helpers/storage.ts).
//
// To add a repository's tests: write `conformance/<aggregate>.ts` exporting a function that takes
// the storage factory, and call it below.

import { describe } from 'node:test';
import { dialects, openTestStorage } from '../helpers/storage.ts';
import { accountRepositoriesConformance } from './conformance/accounts.ts';
import { adminListConformance } from './conformance/admin-lists.ts';
import { authorizationGrantRepositoryConformance } from './conformance/authorization-grants.ts';
import { browserAuthenticationConformance } from './conformance/browser-authentications.ts';
import { browserSessionRepositoryConformance } from './conformance/browser-sessions.ts';
import { clientAssertionRepositoryConformance } from './conformance/client-assertions.ts';
import { compatRepositoryConformance } from './conformance/compat.ts';
import { consentRepositoryConformance } from './conformance/consents.ts';
import { deviceCodeGrantRepositoryConformance } from './conformance/device-code-grants.ts';
import { oauth2ClientRepositoryConformance } from './conformance/oauth2-clients.ts';
import { oauth2SessionRepositoryConformance } from './conformance/oauth2-sessions.ts';
import { oauth2TokenRepositoryConformance } from './conformance/oauth2-tokens.ts';
import { transactionConformance } from './conformance/transactions.ts';
import { userPasswordRepositoryConformance } from './conformance/user-passwords.ts';
import { userRepositoryConformance } from './conformance/users.ts';

for (const dialect of dialects) {
  describe(dialect, () => {
    const open = () => openTestStorage(dialect);
    transactionConformance(open);
    userRepositoryConformance(open);
    userPasswordRepositoryConformance(open);
    browserSessionRepositoryConformance(open);
    browserAuthenticationConformance(open);
    oauth2ClientRepositoryConformance(open);
    authorizationGrantRepositoryConformance(open);
    deviceCodeGrantRepositoryConformance(open);
    oauth2SessionRepositoryConformance(open);
    oauth2TokenRepositoryConformance(open);
    consentRepositoryConformance(open);
    clientAssertionRepositoryConformance(open);
    compatRepositoryConformance(open);
    accountRepositoriesConformance(open);
    adminListConformance(open);
  });
}
