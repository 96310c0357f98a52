// Ed25519 signing keys: generate a pair, name a public key by its key id, write and read PEM files.
// The private key file is created 0600 and never silently overwritten.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelGateError } from '../../errors.ts';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

export interface GeneratedKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

/** First 16 hex characters of SHA-256 over the DER SubjectPublicKeyInfo: short enough to type,
 * long enough (64 bits) that two keys in one trust store do not collide by accident. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

export function generateSigningKeyPair(): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

export interface WriteKeyPairOptions {
  /** Directory to write into; created (0700) when missing. */
  outDir: string;
  /** Base file name: `<name>.key` (private) and `<name>.pub` (public). Default `signing`. */
  name?: string;
  /** Replace existing files. Without it an existing file is an MG_CONFLICT error. */
  force?: boolean;
}

export interface WrittenKeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  keyId: string;
}

export async function writeSigningKeyPair(options: WriteKeyPairOptions): Promise<WrittenKeyPair> {
  const name = options.name ?? 'signing';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new ModelGateError('MG_INVALID_REQUEST', `key name '${name}' must be a plain file name`);
  }
  const privateKeyPath = join(options.outDir, `${name}.key`);
  const publicKeyPath = join(options.outDir, `${name}.pub`);
  // Check both before writing either, so a refusal never leaves half a pair behind.
  if (!options.force) {
    for (const path of [privateKeyPath, publicKeyPath]) {
      if (await exists(path)) {
        throw new ModelGateError('MG_CONFLICT', `${path} already exists; refusing to overwrite it without --force`);
      }
    }
  }
  await mkdir(options.outDir, { recursive: true, mode: 0o700 });
  const pair = generateSigningKeyPair();
  await writeNewFile(privateKeyPath, pair.privateKeyPem, 0o600, options.force === true);
  await writeNewFile(publicKeyPath, pair.publicKeyPem, 0o644, options.force === true);
  return { privateKeyPath, publicKeyPath, keyId: pair.keyId };
}

/** Creates the file with its final mode from the first byte (no window where a private key is
 * world-readable), removing an old file first only when replacing was asked for. */
export async function writeNewFile(path: string, data: string | Uint8Array, mode: number, replace: boolean): Promise<void> {
  if (replace) await rm(path, { force: true });
  let handle;
  try {
    handle = await open(path, 'wx', mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ModelGateError('MG_CONFLICT', `${path} already exists; refusing to overwrite it without --force`);
    }
    throw err;
  }
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
  // The umask may have narrowed the mode given to open(); set it exactly.
  await chmod(path, mode);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Parses a PKCS#8 PEM Ed25519 private key. */
export function signingKeyFromPem(pem: string | Buffer, where = 'signing key'): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new ModelGateError('MG_CONFIG_INVALID', `${where} is not a PEM private key`, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ModelGateError('MG_CONFIG_INVALID', `${where} is a ${privateKey.asymmetricKeyType} key; packages are signed with ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

export async function loadSigningKey(path: string): Promise<SigningKey> {
  return signingKeyFromPem(await readFile(path), path);
}
