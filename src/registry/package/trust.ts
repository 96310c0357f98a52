// Trust stores: the Ed25519 public keys a reader accepts package signatures from, by key id.
// Loaded from PEM files, or from directories of *.pem / *.pub files.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelGateError } from '../../errors.ts';
import { keyIdOf } from './keys.ts';

/** Trusted public keys by key id (see keyIdOf). */
export type TrustStore = ReadonlyMap<string, KeyObject>;

/** Parses one public key PEM. Private keys are refused: a trust store is meant to be shared, and
 * a private key found there is a leak waiting to happen. */
export function publicKeyFromPem(pem: string | Buffer, where = 'public key'): KeyObject {
  const text = pem.toString();
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new ModelGateError('MG_CONFIG_INVALID', `${where} holds a private key; trust stores take public keys only`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch (err) {
    throw new ModelGateError('MG_CONFIG_INVALID', `${where} is not a PEM public key`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ModelGateError('MG_CONFIG_INVALID', `${where} is a ${key.asymmetricKeyType} key; package signatures use ed25519`);
  }
  return key;
}

export function trustStoreFromKeys(keys: Iterable<KeyObject>): TrustStore {
  const store = new Map<string, KeyObject>();
  for (const key of keys) store.set(keyIdOf(key), key);
  return store;
}

export function trustStoreFromPems(pems: Iterable<string | Buffer>): TrustStore {
  return trustStoreFromKeys([...pems].map((pem, i) => publicKeyFromPem(pem, `public key #${i + 1}`)));
}

const KEY_FILE = /\.(pem|pub)$/;

/** Loads every given path: a file is read as one PEM public key; a directory contributes its
 * *.pem and *.pub files (not recursively). An empty result is an error, since a reader with no
 * trusted key can open nothing and that is never what was meant. */
export async function loadTrustStore(paths: readonly string[]): Promise<TrustStore> {
  const store = new Map<string, KeyObject>();
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw new ModelGateError('MG_CONFIG_INVALID', `trusted key path ${path} cannot be read`, { cause: err });
    }
    const files = info.isDirectory()
      ? (await readdir(path)).filter((f) => KEY_FILE.test(f)).sort().map((f) => join(path, f))
      : [path];
    for (const file of files) {
      const key = publicKeyFromPem(await readFile(file), file);
      store.set(keyIdOf(key), key);
    }
  }
  if (store.size === 0) {
    throw new ModelGateError('MG_CONFIG_INVALID', `no public key found in ${paths.join(', ') || '(no paths given)'}`);
  }
  return store;
}
