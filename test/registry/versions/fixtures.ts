// A registry over a store target, with a signing key it trusts and a builder of real signed
// packages. Any bytes serve as the "model": the registry never runs the graph.
import { buildPackage, type PackageEncryption, type SigningKey, type TrustStore } from '../../../src/registry/package/index.ts';
import { VersionRegistry } from '../../../src/registry/versions/index.ts';
import { FileBlobStore, type Store } from '../../../src/store/index.ts';
import type { StoreTarget } from '../../store/targets.ts';
import { newSigningKey, trustOnly } from '../package/fixtures.ts';

export interface Harness {
  registry: VersionRegistry;
  /** A second registry as another replica would have: its own Store on the same database
   * (PostgreSQL), or the same one on SQLite, where one process holds one connection. */
  replica: VersionRegistry;
  store: Store;
  blobs: FileBlobStore;
  key: SigningKey;
  trusted: TrustStore;
  close(): Promise<void>;
}

export async function openHarness(target: StoreTarget): Promise<Harness> {
  const store = await target.open();
  const blobs = new FileBlobStore(target.dir);
  const registry = new VersionRegistry({ store, blobs });
  const replicaStore = target.options.kind === 'postgres' ? await target.open() : store;
  const replica = replicaStore === store ? registry : new VersionRegistry({ store: replicaStore, blobs });
  const key = newSigningKey();
  return {
    registry, replica, store, blobs, key, trusted: trustOnly(key),
    async close() {
      if (replicaStore !== store) await replicaStore.close();
      await store.close();
    },
  };
}

let models = 0;
/** A model name no other test in the run uses, so tests can share one database. */
export function freshModel(prefix = 'model'): string {
  models += 1;
  return `${prefix}-${models}-${process.pid}`;
}

export interface PackageOptions {
  key: SigningKey;
  model?: Buffer;
  encryption?: PackageEncryption;
}

export async function makePackage(name: string, version: string, options: PackageOptions): Promise<Buffer> {
  const built = await buildPackage({
    model: options.model ?? Buffer.from(`model bytes of ${name} ${version}`),
    manifest: { name, version, description: `${name} ${version}`, labels: ['ok', 'fraud'] },
    signingKey: options.key,
    ...(options.encryption ? { encryption: options.encryption } : {}),
  });
  return built.bytes;
}

/** Registers name@version for each version given, as actor 'alice'. */
export async function registerAll(h: Harness, name: string, versions: string[]): Promise<void> {
  for (const version of versions) {
    await h.registry.register({ bytes: await makePackage(name, version, { key: h.key }), actor: 'alice', trustedKeys: h.trusted });
  }
}
