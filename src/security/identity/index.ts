// Identity: API keys (hashed, cached, revocable), bearer JWTs against a JWKS, and the authenticator
// combining them with the bootstrap credential. See docs/identity.md.
export { ApiKeyService, type ApiKeyServiceOptions, type CreateApiKeyInput, type CreatedApiKey } from './api-keys.ts';
export { createAuthenticator, type AsyncAuthenticator, type IdentityServices } from './authenticator.ts';
export { createJwtVerifier, readJwksFile, type JwtResult, type JwtVerifier, type JwtVerifierOptions } from './jwt.ts';
export { formatKey, KEY_ID_PATTERN, parseKey, type ParsedKey } from './key-format.ts';
export type { ApiKeyRecord, ApiKeyStatus } from './records.ts';
export { ALL_MODELS, checkScope, MODEL_NAME_PATTERN, type Scope } from './scopes.ts';
export {
  apiKeySettingsSchema,
  identitySettingsSchema,
  isAllowedJwksUrl,
  JWT_ALGORITHMS,
  jwtSettingsSchema,
  scryptSettingsSchema,
  type ApiKeySettings,
  type IdentitySettings,
  type JwtAlgorithm,
  type JwtSettings,
  type JwtSettingsInput,
  type ScryptSettings,
} from './settings.ts';
