// The bootstrap admin credential: handed in (environment or a mounted secret file, which must exist)
// or generated on first start into <dataDir>/admin.token with mode 0600. Only its hash is kept in
// memory, and it is never written to a log: the operator is told where the file is, not what it holds.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ModelGateError } from '../errors.ts';
import type { Principal } from './principal.ts';

export interface BootstrapCredential {
  /** Where it came from: 'environment' or the file path. */
  source: string;
  /** True when this start generated it. */
  created: boolean;
  digest: Buffer;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export async function ensureBootstrapCredential(opts: { token?: string; file?: string; dataDir: string }): Promise<BootstrapCredential> {
  if (opts.token) return { source: 'environment', created: false, digest: digest(opts.token) };
  const file = opts.file ?? join(opts.dataDir, 'admin.token');
  const existing = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw new ModelGateError('MG_CONFIG_INVALID', `the admin credential file ${file} cannot be read`);
    // A configured file is a mounted secret: one that is missing is a deployment mistake, and a
    // credential generated there would be one nobody handed out (or written into the secret's mount).
    if (opts.file) {
      throw new ModelGateError(
        'MG_CONFIG_INVALID',
        `the admin credential file ${file} does not exist; create it, or leave bootstrapTokenFile unset to generate one in the data folder`,
      );
    }
    return undefined;
  });
  if (existing !== undefined) {
    const token = existing.trim();
    if (token.length < 32) throw new ModelGateError('MG_CONFIG_INVALID', `the admin credential in ${file} is shorter than 32 characters`);
    const mode = (await stat(file)).mode & 0o077;
    if (mode !== 0 && !opts.file) await chmod(file, 0o600);
    return { source: file, created: false, digest: digest(token) };
  }
  const token = `mg_admin_${randomBytes(32).toString('base64url')}`;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { source: file, created: true, digest: digest(token) };
}

export type Authenticator = (credential: string | undefined) => Principal | undefined;

const BOOTSTRAP_PRINCIPAL: Principal = Object.freeze({ id: 'bootstrap-admin', kind: 'bootstrap', roles: ['admin'] as const });

/** Recognises the bootstrap credential; compares digests in constant time. */
export function bootstrapAuthenticator(cred: BootstrapCredential): Authenticator {
  return (credential) => {
    if (!credential) return undefined;
    return timingSafeEqual(digest(credential), cred.digest) ? BOOTSTRAP_PRINCIPAL : undefined;
  };
}

/** The credential of a request: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function credentialFrom(authorization: string | undefined, apiKey: string | undefined): string | undefined {
  if (authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m ? m[1] : undefined;
  }
  return apiKey?.trim() || undefined;
}
