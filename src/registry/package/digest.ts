// SHA-256 helpers: file entries of the manifest and the content address of a whole package.
import { createHash } from 'node:crypto';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function fileEntry(bytes: Uint8Array): { sha256: string; size: number } {
  return { sha256: sha256Hex(bytes), size: bytes.length };
}
