// The keys the server opens packages with: trusted signing keys and package decryption keys, read
// from the configured paths (defaults under <dataDir>/keys/) at start and again by refresh(): a key
// added to (or removed from) a mounted secret takes effect without a restart.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import { ModelGateError } from '../errors.ts';
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
   * (empty when nothing changed). A path that cannot be read, a bad key file, or a set that became
   * empty rejects and leaves the keys in force: a half-written secret must not revoke every key.
   * Calls run one after another.
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
    // No folder yet is no key; a folder that cannot be read (an unmounted volume, permissions) is an
    // error, not an empty set: on a refresh that would revoke every key at once.
    const files = await readdir(decryptionDir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw new ModelGateError('MG_CONFIG_INVALID', `decryption key folder ${decryptionDir} cannot be read`, { cause: err });
    });
    for (const file of files.sort()) {
      const id = file.replace(/\.key$/, '');
      if (!file.endsWith('.key') || !KEY_ID.test(id)) continue;
      decryption.set(id, parseEncryptionKey(await readFile(join(decryptionDir, file)), join(decryptionDir, file)));
    }
    return { trusted, decryption };
  };
  const first = await read();
  const trusted = new Map(first.trusted);
  const decryption = new Map(first.decryption);
  const refreshOnce = async (): Promise<KeyChanges> => {
    const next = await read();
    // A folder that went from keys to none is far more often a secret being rewritten (rm, then cp)
    // or a volume mounted late than a decision to revoke every key: the keys in force stay, and the
    // last key goes with a restart.
    if (trusted.size > 0 && next.trusted.size === 0) throw new ModelGateError('MG_CONFIG_INVALID', `no trusted key found in ${trustedPaths.join(', ')} any more`);
    if (decryption.size > 0 && next.decryption.size === 0) throw new ModelGateError('MG_CONFIG_INVALID', `no decryption key found in ${decryptionDir} any more`);
    const changes: KeyChanges = { added: [], removed: [] };
    // A signing key's id is derived from the key itself: the same id is the same key.
    sync(trusted, next.trusted, (a, b) => a === b || a.equals(b), 'signing', changes);
    sync(decryption, next.decryption, (a, b) => Buffer.from(a).equals(Buffer.from(b)), 'decryption', changes);
    return changes;
  };
  // One refresh at a time: a slower, older reading must never be applied after a newer one (a key
  // just removed would come back).
  let chain: Promise<unknown> = Promise.resolve();
  return {
    trusted,
    decryption,
    trustedPaths,
    refresh() {
      const run = chain.then(refreshOnce);
      chain = run.catch(() => undefined);
      return run;
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
