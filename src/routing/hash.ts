// Seeded randomness and the sticky hash. Both are deterministic so tests can replay traffic exactly,
// and the hash is stable across processes and releases so a user keeps a variant across replicas.
import { createHash } from 'node:crypto';
import type { Rng } from './types.ts';

const TWO_POW_53 = 2 ** 53;

/** SHA-256 of `endpoint \0 key`, top 53 bits as a number in [0, 1). SHA-256 rather than a
 * hand-rolled hash: no bias to reason about, native speed, and the same value on every platform. */
export function stickyUnit(endpoint: string, key: string): number {
  const digest = createHash('sha256').update(endpoint).update('\0').update(key).digest();
  // 21 bits from the first word and 32 from the second: exactly representable in a double.
  const high = digest.readUInt32BE(0) >>> 11;
  const low = digest.readUInt32BE(4);
  return (high * 2 ** 32 + low) / TWO_POW_53;
}

/** sfc32 (Chris Doty-Humphrey's small fast counter) seeded through splitmix32: good enough statistics
 * for traffic simulation and the same stream for the same seed everywhere. */
export function seededRng(seed: number): Rng {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = next();
  let b = next();
  let c = next();
  let d = 1;
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 2 ** 32;
  };
}
