// The storage conformance suite: every repository's tests, once per dialect. Each test gets a new,
// migrated database (see test/helpers/storage.ts).
//
// To add a repository's tests: write `conformance/<aggregate>.ts` exporting a function that takes
// the storage factory, and call it below.

import { describe } from 'node:test';
import { dialects, openTestStorage } from '../helpers/storage.ts';
import { browserSessionRepositoryConformance } from './conformance/browser-sessions.ts';
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
  });
}
