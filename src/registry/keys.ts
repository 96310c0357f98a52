// The keys the server opens packages with: trusted signing keys and package decryption keys, read
// from the configured paths (defaults under <dataDir>/keys/) at start and again by refresh(): a key
// added to (or removed from) a mounted secret takes effect without a restart.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import { loadTrustStore, parseEncryptionKey, type TrustStore } from './package/index.ts';

export interface ServingKeys {
  /** Live: refresh() updates it in place, so every holder sees the current set. */
  trusted: TrustStore;
  /** Live, as `trusted`. */
  decryption: ReadonlyMap<string, Uint8Array>;
  /** Where trusted keys were looked for, to tell the operator when none was found. */
  trustedPaths: string[];
  /**
   * Reads both key sets again and applies what changed; resolves with the key ids added and removed
   * (empty when nothing changed). A path that cannot be read, or a bad key file, rejects and leaves
   * the keys in force: a half-written secret must not revoke every key.
   */
  refresh(): Promise<KeyChanges>;
}

export interface KeyChanges {
  added: string[];
  removed: string[];
}

const KEY_ID = /^[A-Za-z0-9._-]{1,128}$/;

export async function loadServingKeys(config: Config): Promise<ServingKeys> {
  const defaultTrusted = join(config.dataDir, 'keys', 'trusted');
  const trustedPaths = config.trustedKeys ?? [defaultTrusted];
  if (!config.trustedKeys) await mkdir(defaultTrusted, { recursive: true, mode: 0o700 });
  const decryptionDir = config.decryptionKeyDir ?? join(config.dataDir, 'keys', 'decryption');
  const read = async () => {
    // No key yet is allowed (nothing can be loaded until one is added); a bad key file is not.
    const trusted = await loadTrustStore(trustedPaths).catch((err: Error) => {
      if (err.message.startsWith('no public key found')) return new Map() as TrustStore;
      throw err;
    });
    const decryption = new Map<string, Uint8Array>();
    for (const file of (await readdir(decryptionDir).catch(() => [])).sort()) {
      const id = file.replace(/\.key$/, '');
      if (!file.endsWith('.key') || !KEY_ID.test(id)) continue;
      decryption.set(id, parseEncryptionKey(await readFile(join(decryptionDir, file)), join(decryptionDir, file)));
    }
    return { trusted, decryption };
  };
  const first = await read();
  const trusted = new Map(first.trusted);
  const decryption = new Map(first.decryption);
  return {
    trusted,
    decryption,
    trustedPaths,
    async refresh() {
      const next = await read();
      const changes: KeyChanges = { added: [], removed: [] };
      // A signing key's id is derived from the key itself: the same id is the same key.
      sync(trusted, next.trusted, (a, b) => a === b || a.equals(b), 'signing', changes);
      sync(decryption, next.decryption, (a, b) => Buffer.from(a).equals(Buffer.from(b)), 'decryption', changes);
      return changes;
    },
  };
}

function sync<V>(live: Map<string, V>, next: ReadonlyMap<string, V>, same: (a: V, b: V) => boolean, kind: string, changes: KeyChanges): void {
  for (const id of [...live.keys()]) {
    if (!next.has(id)) {
      live.delete(id);
      changes.removed.push(`${kind}:${id}`);
    }
  }
  for (const [id, value] of next) {
    const had = live.get(id);
    if (had !== undefined && same(had, value)) continue;
    if (had !== undefined) changes.removed.push(`${kind}:${id}`);
    live.set(id, value);
    changes.added.push(`${kind}:${id}`);
  }
}
