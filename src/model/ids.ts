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
export type BrowserAuthenticationId = Id<'BrowserAuthenticationId'>;
/** Also the OAuth 2.0 `client_id`. */
export type OAuth2ClientId = Id<'OAuth2ClientId'>;
export type AuthorizationGrantId = Id<'AuthorizationGrantId'>;
export type DeviceCodeGrantId = Id<'DeviceCodeGrantId'>;
export type OAuth2SessionId = Id<'OAuth2SessionId'>;
export type AccessTokenId = Id<'AccessTokenId'>;
export type RefreshTokenId = Id<'RefreshTokenId'>;
export type ConsentId = Id<'ConsentId'>;

export const asUserId = (value: string): UserId => value as UserId;
export const asUserPasswordId = (value: string): UserPasswordId => value as UserPasswordId;
export const asBrowserSessionId = (value: string): BrowserSessionId => value as BrowserSessionId;
export const asBrowserAuthenticationId = (value: string): BrowserAuthenticationId =>
  value as BrowserAuthenticationId;
export const asOAuth2ClientId = (value: string): OAuth2ClientId => value as OAuth2ClientId;
export const asAuthorizationGrantId = (value: string): AuthorizationGrantId =>
  value as AuthorizationGrantId;
export const asDeviceCodeGrantId = (value: string): DeviceCodeGrantId => value as DeviceCodeGrantId;
export const asOAuth2SessionId = (value: string): OAuth2SessionId => value as OAuth2SessionId;
export const asAccessTokenId = (value: string): AccessTokenId => value as AccessTokenId;
export const asRefreshTokenId = (value: string): RefreshTokenId => value as RefreshTokenId;
export const asConsentId = (value: string): ConsentId => value as ConsentId;
