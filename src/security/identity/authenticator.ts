// One authenticator over every kind of credential: the bootstrap admin credential, API keys and,
// when configured, bearer JWTs. The credential's shape picks the verifier, so a token is never
// run through scrypt and a key is never sent to the JWKS.
import type { Authenticator } from '../bootstrap.ts';
import type { Principal } from '../principal.ts';
import type { ApiKeyService } from './api-keys.ts';
import type { JwtVerifier } from './jwt.ts';
import { parseKey } from './key-format.ts';

export type AsyncAuthenticator = (credential: string | undefined) => Promise<Principal | undefined>;

export interface IdentityServices {
  /** The bootstrap credential's authenticator (bootstrapAuthenticator from ../bootstrap.ts). */
  bootstrap?: Authenticator;
  apiKeys?: Pick<ApiKeyService, 'authenticate'>;
  /** Absent when no identity provider is configured: tokens are then refused. */
  jwt?: Pick<JwtVerifier, 'authenticate'>;
}

// header.payload.signature, each base64url; jose checks the rest.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function createAuthenticator(services: IdentityServices): AsyncAuthenticator {
  return async (credential) => {
    if (!credential) return undefined;
    // The bootstrap check is a constant-time digest comparison: cheap enough to try first always.
    const bootstrap = services.bootstrap?.(credential);
    if (bootstrap) return bootstrap;
    if (parseKey(credential)) return services.apiKeys?.authenticate(credential);
    if (JWT_SHAPE.test(credential)) return services.jwt?.authenticate(credential);
    return undefined;
  };
}
