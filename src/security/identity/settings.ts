// The `identity` section of the settings file: API key hashing and caching, and the optional JWT
// verifier for organisations with an identity provider. Every default is argued in docs/identity.md.
import { z } from 'zod';

/** Asymmetric algorithms only: with a public key set, HS* would let anyone holding the public key
 * forge tokens, and `none` is no signature at all. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export const scryptSettingsSchema = z
  .object({
    logN: z.number().int().min(10).max(20).default(14)
      .describe('scrypt cost N = 2^logN; 14 is 16 MiB and about 30-55 ms per hash on one core'),
    r: z.number().int().min(1).max(32).default(8).describe('scrypt block size'),
    p: z.number().int().min(1).max(16).default(1).describe('scrypt parallelisation'),
  })
  .strict();
export type ScryptSettings = z.output<typeof scryptSettingsSchema>;

export const apiKeySettingsSchema = z
  .object({
    cacheTtlMs: z.number().int().min(0).max(3_600_000).default(60_000)
      .describe('how long a verified key is trusted without scrypt; also how late other replicas see a revocation (0: no cache)'),
    cacheMax: z.number().int().min(1).max(1_000_000).default(10_000).describe('most verified keys cached (LRU beyond)'),
    lastUsedResolutionMs: z.number().int().min(0).max(86_400_000).default(60_000)
      .describe('last_used_at is written at most this often per key, on a verification that misses the cache'),
    scrypt: scryptSettingsSchema.prefault({}),
  })
  .strict();
export type ApiKeySettings = z.output<typeof apiKeySettingsSchema>;

export const jwtSettingsSchema = z
  .object({
    jwksFile: z.string().min(1).optional().describe('a JSON Web Key Set file ({"keys": [...]}) with the public keys'),
    jwksUrl: z.string().url().optional()
      .describe('the identity provider JWKS URL; https, or http on a loopback address only'),
    issuer: z.string().min(1).describe('the required iss claim'),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('the aud claim must contain (one of) this'),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(['RS256', 'ES256', 'EdDSA'])
      .describe('accepted signature algorithms; HS* and none are not expressible'),
    rolesClaim: z.string().min(1).default('roles')
      .describe('claim holding the ModelGate roles (a dotted path such as realm_access.roles is followed)'),
    modelsClaim: z.string().min(1).default('models').describe('claim holding the model scope of a predictor'),
    clockToleranceSec: z.number().int().min(0).max(300).default(30).describe('allowed clock skew for exp and nbf'),
    maxTokenAgeSec: z.number().int().min(1).optional().describe('refuse tokens issued (iat) longer ago than this'),
    jwksCooldownMs: z.number().int().min(0).default(30_000)
      .describe('URL mode: shortest wait between two JWKS fetches, even for an unknown kid'),
    jwksCacheMaxAgeMs: z.number().int().min(1000).default(600_000).describe('URL mode: refetch the JWKS after this long'),
    jwksTimeoutMs: z.number().int().min(100).max(60_000).default(5000).describe('URL mode: JWKS fetch timeout'),
    jwksFileCheckMs: z.number().int().min(0).max(3_600_000).default(5000)
      .describe('file mode: how often the file is checked for a new key set (key rotation without a restart; 0: never)'),
  })
  .strict()
  .refine((s) => (s.jwksFile === undefined) !== (s.jwksUrl === undefined), {
    message: 'give exactly one of jwksFile and jwksUrl',
  })
  .refine((s) => s.jwksUrl === undefined || isAllowedJwksUrl(s.jwksUrl), {
    message: 'jwksUrl must be https (http only on a loopback address)',
    path: ['jwksUrl'],
  });
export type JwtSettings = z.output<typeof jwtSettingsSchema>;
export type JwtSettingsInput = z.input<typeof jwtSettingsSchema>;

export const identitySettingsSchema = z
  .object({
    apiKeys: apiKeySettingsSchema.prefault({}),
    /** Absent: bearer tokens are not accepted, only API keys and the bootstrap credential. */
    jwt: jwtSettingsSchema.optional(),
  })
  .strict()
  .prefault({});
export type IdentitySettings = z.output<typeof identitySettingsSchema>;

/** A JWKS fetched over plain http could be swapped by anyone on the path; loopback is the exception
 * (a sidecar, or a test). */
export function isAllowedJwksUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'https:') return true;
  return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}
