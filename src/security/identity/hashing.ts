// Slow hashing of API key secrets with scrypt (node:crypto, run on the libuv pool so the event loop
// keeps serving). Each hash carries its own parameters and salt: `scrypt$ln=14,r=8,p=1$<salt>$<hash>`.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptSettings } from './settings.ts';

const HASH_BYTES = 32;
const SALT_BYTES = 16;
const FORMAT = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function derive(secret: string, salt: Buffer, s: ScryptSettings): Promise<Buffer> {
  const N = 2 ** s.logN;
  return new Promise((resolve, reject) => {
    // scrypt needs 128 * N * r bytes; the default maxmem (32 MiB) would refuse logN 15 with r 8.
    scrypt(secret, salt, HASH_BYTES, { N, r: s.r, p: s.p, maxmem: 256 * N * s.r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashSecret(secret: string, s: ScryptSettings): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, s);
  return `scrypt$ln=${s.logN},r=${s.r},p=${s.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

interface Parsed {
  settings: ScryptSettings;
  salt: Buffer;
  hash: Buffer;
}

function parseHash(stored: string): Parsed | undefined {
  const m = FORMAT.exec(stored);
  if (!m) return undefined;
  const settings = { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Bounds, so a tampered row cannot make one verification allocate gigabytes.
  if (settings.logN < 10 || settings.logN > 20 || settings.r < 1 || settings.r > 32 || settings.p < 1 || settings.p > 16) return undefined;
  return { settings, salt: Buffer.from(m[4], 'base64url'), hash: Buffer.from(m[5], 'base64url') };
}

/** True when secret hashes to stored; the comparison takes the same time wherever the bytes differ. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || parsed.hash.length !== HASH_BYTES) return false;
  const candidate = await derive(secret, parsed.salt, parsed.settings);
  return timingSafeEqual(candidate, parsed.hash);
}

/** A well-formed hash of no secret (random salt, random bytes), to spend the same scrypt work when
 * the key id is unknown, so that response times do not tell which ids exist. */
export function dummyHash(s: ScryptSettings): string {
  const rnd = (n: number) => randomBytes(n).toString('base64url');
  return `scrypt$ln=${s.logN},r=${s.r},p=${s.p}$${rnd(SALT_BYTES)}$${rnd(HASH_BYTES)}`;
}
