// The human pages' tests use the shared test application (test/helpers/app.ts), serving only the
// human and assets resources.

import { startTestApp, type TestApp } from '../../helpers/app.ts';
import type { TestStorage } from '../../helpers/storage.ts';

export {
  addUser,
  CookieJar,
  hiddenField,
  submitForm,
  type TestApp as HumanApp,
} from '../../helpers/app.ts';

export function startHumanApp(
  overrides: Record<string, unknown> = {},
  existing?: TestStorage,
): Promise<TestApp> {
  return startTestApp(overrides, {
    resources: ['human', 'assets'],
    ...(existing ? { existing } : {}),
  });
}
