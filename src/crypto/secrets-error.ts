// Errors for secrets that parse as config but cannot be used: unreadable files, bad keys, wrong
// passwords. Each lists every problem at once with its config path, so `config check` and start-up
// can show them all in one go, like schema errors.

export interface SecretProblem {
  /** Config path of the offending value, e.g. `secrets.keys[2].key_file`. */
  path: string;
  /** One line, for the operator. */
  message: string;
}

/** Base class: anything holding a list of secret problems. */
export class SecretsError extends Error {
  readonly problems: readonly SecretProblem[];

  constructor(summary: string, problems: readonly SecretProblem[]) {
    super(`${summary}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.name = new.target.name;
    this.problems = problems;
  }
}

/** The signing keys (`secrets.keys`, `secrets.keys_dir`) could not be loaded. */
export class KeystoreError extends SecretsError {
  constructor(problems: readonly SecretProblem[]) {
    super('invalid signing keys', problems);
  }
}

/** The encryption key (`secrets.encryption`, `secrets.encryption_file`) could not be loaded. */
export class EncryptionKeyError extends SecretsError {
  constructor(problems: readonly SecretProblem[]) {
    super('invalid encryption key', problems);
  }
}

/** A one-line reason for a failed file operation. */
export function fileErrorReason(error: unknown): string {
  switch ((error as { code?: unknown }).code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
