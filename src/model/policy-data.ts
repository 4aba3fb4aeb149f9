// Policy data set at run time (MAS: `POST /api/admin/v1/policy-data`): a JSON document stored with
// a ULID, the newest of which is merged over the configuration's `policy.data` on every node.
//
// The merge is MAS's (crates/policy: merge_data): objects merge key by key, recursively; arrays
// concatenate (the stored entries come after the configured ones); a string, number or boolean
// replaces one of the same type; null replaces anything and anything replaces null. Any other
// pair (a string over a number, an array over an object, ...) cannot be merged: the data is
// refused, as MAS refuses it.

import type { Id } from './ids.ts';

export type PolicyDataId = Id<'PolicyDataId'>;
export const asPolicyDataId = (value: string): PolicyDataId => value as PolicyDataId;

export interface PolicyData {
  readonly id: PolicyDataId;
  readonly createdAt: Date;
  /** Any JSON value as posted; only an object can be merged over the configuration's data. */
  readonly data: unknown;
}

export type PolicyDataMap = Readonly<Record<string, unknown>>;

/** Two values that cannot be merged; `path` is where, e.g. `requester.banned_ips`. */
export class PolicyDataMergeError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(path === '' ? message : `${path}: ${message}`);
    this.path = path;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

function mergeAt(path: string, left: unknown, right: unknown): unknown {
  const leftKind = kindOf(left);
  const rightKind = kindOf(right);
  if (leftKind === 'object' && rightKind === 'object') {
    const merged: Record<string, unknown> = { ...(left as Record<string, unknown>) };
    for (const [key, value] of Object.entries(right as Record<string, unknown>)) {
      const inner = path === '' ? key : `${path}.${key}`;
      merged[key] = Object.hasOwn(merged, key) ? mergeAt(inner, merged[key], value) : value;
    }
    return merged;
  }
  if (leftKind === 'array' && rightKind === 'array') {
    return [...(left as unknown[]), ...(right as unknown[])];
  }
  // Objects and arrays of the same kind are handled above: what is left of a same-kind pair are
  // scalars, and null goes either way.
  if (leftKind === 'null' || rightKind === 'null' || leftKind === rightKind) return right;
  throw new PolicyDataMergeError(
    path,
    `cannot merge ${article(rightKind)} into ${article(leftKind)}`,
  );
}

const article = (kind: string): string => `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;

/**
 * `overlay` merged over `base` (neither is changed). Throws PolicyDataMergeError when `overlay`
 * is not an object or holds a value that cannot be merged over the one in `base`.
 */
export function mergePolicyData(base: PolicyDataMap, overlay: unknown): PolicyDataMap {
  if (kindOf(overlay) !== 'object') {
    throw new PolicyDataMergeError(
      '',
      `policy data must be a JSON object, not ${article(kindOf(overlay))}`,
    );
  }
  return mergeAt('', base, overlay) as PolicyDataMap;
}
