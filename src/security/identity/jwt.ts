// Bearer JWTs from an organisation's identity provider, verified with jose against a JWKS from a
// file or a URL: asymmetric algorithms only, issuer and audience required, exp required. Roles and
// model scopes come from configurable claims and obey the same rule as API keys (scopes.ts).
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ModelGateError } from '../../errors.ts';
import type { Principal } from '../principal.ts';
import { checkScope, principalModels } from './scopes.ts';
import { jwtSettingsSchema, type JwtSettings, type JwtSettingsInput } from './settings.ts';

export type JwtResult = { ok: true; principal: Principal } | { ok: false; reason: string };

export interface JwtVerifier {
  /** The principal, or why the token was refused (for a debug log; never contains the token). */
  verify(token: string): Promise<JwtResult>;
  authenticate(token: string | undefined): Promise<Principal | undefined>;
}

export interface JwtVerifierOptions {
  /** Epoch milliseconds; tests move it instead of waiting. */
  now?: () => number;
  /** Told when a changed JWKS file cannot be used; the previous key set stays in force. */
  onJwksFileError?: (err: Error) => void;
  /** Told why a presented token was refused (never the token): the client only hears 401. */
  onRefused?: (reason: string) => void;
}

const config = (message: string) => new ModelGateError('MG_CONFIG_INVALID', message);

/** Reads a JWKS file and refuses what does not belong in a public key set: symmetric keys (they
 * would make HS* verifiable, i.e. forgeable by whoever reads the file) and private key material. */
export async function readJwksFile(file: string): Promise<JSONWebKeySet> {
  return parseJwks(file, await readJwksText(file));
}

async function readJwksText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw config(`the JWKS file ${file} cannot be read${code ? ` (${code})` : ''}`);
  }
}

function parseJwks(file: string, text: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw config(`the JWKS file ${file} cannot be read as JSON`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw config(`the JWKS file ${file} has no "keys" array`);
  for (const k of keys as Record<string, unknown>[]) {
    if (k.kty === 'oct') throw config(`the JWKS file ${file} holds a symmetric (oct) key; give only public keys`);
    if ('d' in k) throw config(`the JWKS file ${file} holds a private key; give only the public parts`);
  }
  return parsed as JSONWebKeySet;
}

/**
 * The key set of a JWKS file, read again when the file changes (a rotated Kubernetes secret swaps
 * it), checked at most every checkMs when a token arrives. A changed file that is not a valid public
 * key set is reported and ignored: the keys in force stay, rather than every token failing.
 */
async function watchedJwksFile(file: string, checkMs: number, options: JwtVerifierOptions): Promise<JWTVerifyGetKey> {
  // Intervals on a monotonic clock (a wall clock stepped back would stop the checks); tests inject one.
  const now = options.now ?? (() => performance.now());
  // The file's text, not its mtime, says whether it changed: a rewrite within one timestamp tick
  // (or a swapped symlink keeping the old time) is still seen. The file is small.
  let text = await readJwksText(file);
  let keys = createLocalJWKSet(parseJwks(file, text));
  let checkedAt = now();
  let checking: Promise<void> | undefined;
  let reported: string | undefined;
  const check = async () => {
    try {
      const next = await readJwksText(file);
      if (next !== text) {
        text = next; // a broken file is parsed (and reported) once, not on every check
        keys = createLocalJWKSet(parseJwks(file, next));
      }
      reported = undefined;
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      // One report per distinct problem (a missing file is not logged every few seconds).
      if (e.message !== reported) options.onJwksFileError?.(e);
      reported = e.message;
    }
  };
  const recheck = () => {
    checkedAt = now();
    checking ??= check().finally(() => (checking = undefined));
    return checking;
  };
  return async (header, token) => {
    if (checkMs > 0 && now() - checkedAt >= checkMs) void recheck();
    if (checking) await checking;
    try {
      return await keys(header, token);
    } catch (err) {
      // A token signed with a key the file gained since the last check: look again at once (at most
      // once a second, so tokens with made-up key ids cannot make the server read the file in a loop).
      if (checkMs === 0 || (err as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY' || now() - checkedAt < Math.min(checkMs, 1000)) throw err;
      await recheck();
      return keys(header, token);
    }
  };
}

const printable = (v: unknown): boolean => typeof v === 'string' && v.length <= 250 && !/[\u0000-\u001f\u007f-\u009f]/.test(v);

/** Follows a dotted path (realm_access.roles) when the claim itself is absent. */
function claim(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  let v: unknown = payload;
  for (const part of name.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** A list claim: a JSON array of strings, or one space-separated string (like OAuth `scope`). */
function list(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return ['<not a list of strings>'];
}

export async function createJwtVerifier(input: JwtSettingsInput | JwtSettings, options: JwtVerifierOptions = {}): Promise<JwtVerifier> {
  const s = jwtSettingsSchema.parse(input);
  const keys: JWTVerifyGetKey = s.jwksFile
    ? await watchedJwksFile(s.jwksFile, s.jwksFileCheckMs, options)
    : createRemoteJWKSet(new URL(s.jwksUrl!), {
        cooldownDuration: s.jwksCooldownMs,
        cacheMaxAge: s.jwksCacheMaxAgeMs,
        timeoutDuration: s.jwksTimeoutMs,
      });

  async function verify(token: string): Promise<JwtResult> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: s.issuer,
        audience: s.audience,
        algorithms: s.algorithms,
        clockTolerance: s.clockToleranceSec,
        requiredClaims: ['exp', 'sub'],
        ...(s.maxTokenAgeSec === undefined ? {} : { maxTokenAge: s.maxTokenAgeSec }),
        ...(options.now ? { currentDate: new Date(options.now()) } : {}),
      }));
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ERR_JWT_INVALID';
      const claimName = (err as { claim?: string }).claim;
      return { ok: false, reason: claimName ? `${code} (${claimName})` : code };
    }
    // They make the principal id, which lands in logs, the audit log and operators' terminals.
    if (!printable(payload.iss) || !printable(payload.sub)) return { ok: false, reason: 'iss or sub too long or with control characters' };
    const roles = list(claim(payload, s.rolesClaim));
    if (!roles || roles.length === 0) return { ok: false, reason: `no roles in claim '${s.rolesClaim}'` };
    let scope;
    try {
      scope = checkScope(roles, list(claim(payload, s.modelsClaim)));
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    const models = principalModels(scope.models);
    const principal: Principal = Object.freeze({
      id: `jwt:${payload.iss}:${payload.sub}`,
      kind: 'token' as const,
      roles: Object.freeze(scope.roles),
      ...(models === undefined ? {} : { models }),
    });
    return { ok: true, principal };
  }

  return {
    verify,
    async authenticate(token) {
      if (!token) return undefined;
      const r = await verify(token);
      if (!r.ok) options.onRefused?.(r.reason);
      return r.ok ? r.principal : undefined;
    },
  };
}
