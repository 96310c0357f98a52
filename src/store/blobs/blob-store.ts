// The content-addressed blob store interface: bytes in, SHA-256 out, and back by that digest.
// Implementations may be local (files) or shared by replicas (S3, PostgreSQL large objects): the
// interface promises only what all of them can keep.
import { createHash } from 'node:crypto';
import { ModelGateError } from '../../errors.ts';

export interface BlobStore {
  /** Stores bytes and returns their SHA-256 (lower-case hex). Idempotent: the same bytes give the
   * same digest and are stored once. Durable when it resolves. */
  put(bytes: Uint8Array): Promise<string>;
  /** The bytes, checked against their digest. Throws MG_NOT_FOUND when absent, MG_INTERNAL when
   * the stored bytes no longer hash to their address (corruption). */
  get(sha256: string): Promise<Buffer>;
  has(sha256: string): Promise<boolean>;
  /** Removes a blob; resolves false when it was not there. */
  delete(sha256: string): Promise<boolean>;
  /** Every stored digest (for garbage collection and checks); optional for stores that cannot list cheaply. */
  list?(): AsyncIterable<string>;
}

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** Refuses anything but 64 lower-case hex characters, so a digest can never name a path ('../x'). */
export function assertDigest(sha256: string): string {
  if (typeof sha256 !== 'string' || !SHA256_PATTERN.test(sha256)) {
    const shown = typeof sha256 === 'string' ? JSON.stringify(sha256.slice(0, 80)) : typeof sha256;
    throw new ModelGateError('MG_INVALID_REQUEST', `${shown} is not a SHA-256 digest (64 lower-case hex characters)`);
  }
  return sha256;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function blobNotFound(sha256: string): ModelGateError {
  return new ModelGateError('MG_NOT_FOUND', `blob ${sha256} is not in the blob store`);
}

export function blobCorrupt(sha256: string, actual: string): ModelGateError {
  return corruptBlob(sha256, `its bytes hash to ${actual}`);
}

/** A blob whose stored form is damaged in another way (`problem`), e.g. a chunk row is missing. */
export function corruptBlob(sha256: string, problem: string): ModelGateError {
  return new ModelGateError('MG_INTERNAL', `blob ${sha256} is corrupt: ${problem}; restore it from a backup or register the package again`);
}
