// The error thrown when `policy.data` holds something the policy cannot use (a regex that does not
// compile, a list that is not a list). It names the path, so the operator can find it.

export class PolicyDataError extends Error {
  override readonly name = 'PolicyDataError';
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`policy.data.${path} ${problem}`);
    this.path = path;
  }
}
