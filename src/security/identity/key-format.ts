// The API key format: mg_<keyId>_<secret>. The key id (12 base32 characters, 60 random bits) is
// public and finds the row; the secret (32 random bytes, base64url) is shown once and only hashed.
import { randomBytes } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
export const KEY_ID_PATTERN = /^[a-z2-7]{12}$/;
// Fixed widths make parsing unambiguous although base64url secrets may contain '_'.
const KEY_PATTERN = /^mg_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedKey {
  id: string;
  secret: string;
}

/** A fresh key id: 12 characters from 32, each from 5 random bits. */
export function newKeyId(): string {
  const bytes = randomBytes(12);
  let id = '';
  for (const b of bytes) id += BASE32[b & 31];
  return id;
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function formatKey(id: string, secret: string): string {
  return `mg_${id}_${secret}`;
}

/** The parts of a well-formed key, or undefined: a malformed credential is not an API key at all. */
export function parseKey(credential: string): ParsedKey | undefined {
  const m = KEY_PATTERN.exec(credential);
  return m ? { id: m[1], secret: m[2] } : undefined;
}
