// A bounded cache of positive verifications, so a key pays for scrypt once per TTL rather than on
// every inference request. Keyed by SHA-256 of the whole presented key: the cache never holds a
// secret, and a wrong secret for a cached id misses. Failures are never cached.
import { createHash } from 'node:crypto';
import type { Principal } from '../principal.ts';

interface Entry {
  keyId: string;
  principal: Principal;
  /** Epoch ms after which the entry is no longer trusted: the TTL or the key's expiry, whichever is first. */
  until: number;
}

export const cacheKey = (credential: string): string => createHash('sha256').update(credential, 'utf8').digest('hex');

export class VerificationCache {
  // A Map iterates in insertion order: re-inserting on a hit keeps the oldest entry first (LRU).
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get(digest: string): Principal | undefined {
    const e = this.entries.get(digest);
    if (!e) return undefined;
    this.entries.delete(digest);
    if (e.until <= this.now()) return undefined;
    this.entries.set(digest, e);
    return e.principal;
  }

  set(digest: string, keyId: string, principal: Principal, expiresAt: number | undefined): void {
    if (this.ttlMs <= 0) return;
    const until = Math.min(this.now() + this.ttlMs, expiresAt ?? Number.POSITIVE_INFINITY);
    this.entries.delete(digest);
    this.entries.set(digest, { keyId, principal, until });
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** Forgets every entry of this key id, at once (revocation in this process). */
  invalidate(keyId: string): void {
    for (const [digest, e] of this.entries) if (e.keyId === keyId) this.entries.delete(digest);
  }

  get size(): number {
    return this.entries.size;
  }
}
