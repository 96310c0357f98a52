// The fixed names, domain strings and limits of the .mgpkg format (version 1), shared by the builder
// and the reader so the two cannot drift apart. docs/packages.md describes the format in prose.
import { z } from 'zod';

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'signature.json';
export const MODEL_FILE = 'model.onnx';
export const PACKAGE_EXTENSION = '.mgpkg';

/** Prefixed to the manifest bytes before signing, so a package signature can never be replayed as
 * a signature over some other kind of message made with the same key. */
export const SIGNATURE_DOMAIN = 'modelgate-package-v1\0';
/** Prefix of the AES-GCM additional authenticated data; see encryptionAad. */
export const ENCRYPTION_DOMAIN = 'modelgate-package-encryption-v1\0';

/** Every tar header is written with these values so that a build depends only on its inputs. */
export const TAR_MTIME = new Date(0);
export const TAR_MODE = 0o644;

/** Names of files in a package: plain relative paths, nothing a shell or a file system reads twice. */
export const FILE_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
/** ustar keeps a path in one 100-byte field when there is no prefix; longer names are not needed. */
export const MAX_FILE_NAME_BYTES = 99;

export function signatureMessage(manifestBytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(SIGNATURE_DOMAIN, 'utf8'), manifestBytes]);
}

/** Binds a ciphertext to the model name, version and file name: moving it into another package or
 * under another name fails authentication even with the right key. */
export function encryptionAad(name: string, version: string, file: string): Buffer {
  return Buffer.from(`${ENCRYPTION_DOMAIN}${name}\0${version}\0${file}`, 'utf8');
}

export const signatureFileSchema = z
  .object({
    algorithm: z.literal('ed25519'),
    keyId: z.string().regex(/^[0-9a-f]{16}$/, 'a key id is 16 lower-case hex characters'),
    signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
  })
  .strict();
export type SignatureFile = z.infer<typeof signatureFileSchema>;

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

/** Byte limits applied while reading a package. Every field is optional in options; the defaults
 * fit ONNX models up to 2 GiB. */
export interface PackageLimits {
  /** Size of the .mgpkg file itself (compressed). */
  maxPackageBytes: number;
  /** Size of the tar stream after gunzip; inflation stops as soon as it is exceeded. */
  maxUnpackedBytes: number;
  /** Size of model.onnx as stored. */
  maxModelBytes: number;
  maxManifestBytes: number;
  maxSignatureBytes: number;
  /** Size of any other file (README, licence, ...). */
  maxOtherFileBytes: number;
  maxEntries: number;
}

export const DEFAULT_LIMITS: Readonly<PackageLimits> = Object.freeze({
  maxPackageBytes: 2 * GiB + 256 * MiB,
  maxUnpackedBytes: 2 * GiB + 256 * MiB,
  maxModelBytes: 2 * GiB,
  maxManifestBytes: 8 * MiB,
  maxSignatureBytes: 4 * 1024,
  maxOtherFileBytes: 16 * MiB,
  maxEntries: 64,
});

export function resolveLimits(limits: Partial<PackageLimits> | undefined): PackageLimits {
  return { ...DEFAULT_LIMITS, ...(limits ?? {}) };
}

export function limitFor(name: string, limits: PackageLimits): number {
  if (name === MODEL_FILE) return limits.maxModelBytes;
  if (name === MANIFEST_FILE) return limits.maxManifestBytes;
  if (name === SIGNATURE_FILE) return limits.maxSignatureBytes;
  return limits.maxOtherFileBytes;
}
