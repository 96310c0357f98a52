// The keys the server opens packages with: trusted signing keys and package decryption keys,
// read once at start from the configured paths (defaults under <dataDir>/keys/).
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import { loadTrustStore, parseEncryptionKey, type TrustStore } from './package/index.ts';

export interface ServingKeys {
  trusted: TrustStore;
  decryption: ReadonlyMap<string, Uint8Array>;
  /** Where trusted keys were looked for, to tell the operator when none was found. */
  trustedPaths: string[];
}

const KEY_ID = /^[A-Za-z0-9._-]{1,128}$/;

export async function loadServingKeys(config: Config): Promise<ServingKeys> {
  const defaultTrusted = join(config.dataDir, 'keys', 'trusted');
  const trustedPaths = config.trustedKeys ?? [defaultTrusted];
  if (!config.trustedKeys) await mkdir(defaultTrusted, { recursive: true, mode: 0o700 });
  // No key yet is allowed at start (nothing can be loaded until one is added); a bad key file is not.
  const trusted = await loadTrustStore(trustedPaths).catch((err: Error) => {
    if (err.message.startsWith('no public key found')) return new Map() as TrustStore;
    throw err;
  });
  const decryption = new Map<string, Uint8Array>();
  const dir = config.decryptionKeyDir ?? join(config.dataDir, 'keys', 'decryption');
  for (const file of (await readdir(dir).catch(() => [])).sort()) {
    const id = file.replace(/\.key$/, '');
    if (!file.endsWith('.key') || !KEY_ID.test(id)) continue;
    decryption.set(id, parseEncryptionKey(await readFile(join(dir, file)), join(dir, file)));
  }
  return { trusted, decryption, trustedPaths };
}
