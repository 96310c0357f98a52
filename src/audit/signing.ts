// Checkpoint signatures: the server's Ed25519 key signs {seq, head_hash, time} so the chain head at
// that point cannot be rewritten without the key; and the key file helper for the integrator.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelGateError } from '../errors.ts';
import { canonicalJson } from './canonical.ts';
import type { AuditCheckpoint } from './types.ts';

const CHECKPOINT_DOMAIN = 'modelgate-audit-checkpoint-v1\0';

/** The key that signs checkpoints, and the id written next to each signature. */
export interface AuditSigner {
  privateKey: KeyObject;
  keyId: string;
}

/** A stable id for a public key: the first 16 hex digits of SHA-256 of its SPKI DER. */
export function auditKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function checkpointMessage(cp: Omit<AuditCheckpoint, 'signature'>): Buffer {
  return Buffer.from(CHECKPOINT_DOMAIN + canonicalJson({ head_hash: cp.head_hash, key_id: cp.key_id, seq: cp.seq, time: cp.time }), 'utf8');
}

export function signCheckpoint(signer: AuditSigner, seq: number, headHash: string, time: string): AuditCheckpoint {
  const unsigned = { seq, head_hash: headHash, time, key_id: signer.keyId };
  return { ...unsigned, signature: sign(null, checkpointMessage(unsigned), signer.privateKey).toString('base64') };
}

/** True when the signature is valid under key. */
export function checkpointSignatureValid(cp: AuditCheckpoint, key: KeyObject): boolean {
  try {
    return verify(null, checkpointMessage(cp), key, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}

/** Trusted keys by id: a list of public keys (ids derived) or an explicit map. */
export type TrustedAuditKeys = ReadonlyMap<string, KeyObject> | readonly KeyObject[];

export function keyMap(keys: TrustedAuditKeys): ReadonlyMap<string, KeyObject> {
  if (!Array.isArray(keys)) return keys as ReadonlyMap<string, KeyObject>;
  return new Map((keys as readonly KeyObject[]).map((k) => [auditKeyId(k), k]));
}

export function readPublicKey(pem: string | Buffer): KeyObject {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (err) {
    throw new ModelGateError('MG_CONFIG_INVALID', `not an Ed25519 public key: ${(err as Error).message}`, { cause: err });
  }
}

export interface LoadedAuditKey extends AuditSigner {
  publicKey: KeyObject;
  privateKeyFile: string;
  publicKeyFile: string;
  /** True when this call generated the key. */
  created: boolean;
}

export const AUDIT_KEY_FILE = 'audit-signing.key';
export const AUDIT_PUBLIC_KEY_FILE = 'audit-signing.pub';

/** Loads <dataDir>/audit-signing.key (PKCS#8 PEM, mode 0600), creating it and its public key
 * <dataDir>/audit-signing.pub when absent. Hand the .pub to auditors: it is what they trust. */
export function loadOrCreateAuditSigningKey(dataDir: string): LoadedAuditKey {
  const privateKeyFile = join(dataDir, AUDIT_KEY_FILE);
  const publicKeyFile = join(dataDir, AUDIT_PUBLIC_KEY_FILE);
  let privateKey: KeyObject;
  let created = false;
  if (existsSync(privateKeyFile)) privateKey = readPrivateKey(privateKeyFile);
  else {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    ({ key: privateKey, created } = installKey(privateKeyFile, generateKeyPairSync('ed25519').privateKey));
  }
  const publicKey = createPublicKey(privateKey);
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  if (!existsSync(publicKeyFile) || readFileSync(publicKeyFile, 'utf8') !== pem) {
    // Replaced by rename, so a reader sees the old file or the new one, never a partial one.
    const tmp = `${publicKeyFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, pem, { mode: 0o644 });
    renameSync(tmp, publicKeyFile);
  }
  return { privateKey, publicKey, keyId: auditKeyId(publicKey), privateKeyFile, publicKeyFile, created };
}

function readPrivateKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (err) {
    throw new ModelGateError('MG_CONFIG_INVALID', `the audit signing key ${file} cannot be read`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ModelGateError('MG_CONFIG_INVALID', `the audit signing key ${file} is not an Ed25519 key`);
  return key;
}

/**
 * Puts `fresh` at `file` unless a key is there already, and returns the key now at `file`. Written whole
 * to a temporary name, then linked into place: link never replaces a key another process created a
 * moment ago (that one wins and is returned), and no process ever reads a half-written key.
 */
export function installKey(file: string, fresh: KeyObject): { key: KeyObject; created: boolean } {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, fresh.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  try {
    chmodSync(tmp, 0o600);
    linkSync(tmp, file);
    return { key: fresh, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { key: readPrivateKey(file), created: false };
  } finally {
    rmSync(tmp, { force: true });
  }
}
