// The part of oidc-provider's API the bench's peer uses (the package ships no type declarations).

declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
  export default Provider;
}
