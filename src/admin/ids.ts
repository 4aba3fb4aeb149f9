// Resource ids in Admin API paths and cursors: ULIDs (26 Crockford base-32 characters). A
// malformed id is a 400, told apart from an unknown one (404) before any database access.

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;

export function isUlid(value: string): boolean {
  return ULID.test(value);
}
