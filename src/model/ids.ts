// Branded id types: each aggregate's id is a ULID string that the compiler keeps apart from every
// other id, so a `UserId` cannot be passed where a `BrowserSessionId` is expected.
//
// To add one: `export type ThingId = Id<'ThingId'>` and an `asThingId` for the edges (database
// rows, URL parameters) where a plain string becomes an id.

declare const brand: unique symbol;

/** A string that only code naming `B` can produce. */
export type Id<B extends string> = string & { readonly [brand]: B };

export type UserId = Id<'UserId'>;
export type UserPasswordId = Id<'UserPasswordId'>;
export type BrowserSessionId = Id<'BrowserSessionId'>;

export const asUserId = (value: string): UserId => value as UserId;
export const asUserPasswordId = (value: string): UserPasswordId => value as UserPasswordId;
export const asBrowserSessionId = (value: string): BrowserSessionId => value as BrowserSessionId;
