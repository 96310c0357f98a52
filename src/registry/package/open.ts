// Reading packages: openPackage throws at the first problem (for the server), verifyPackage
// reports every check (for `modelgate verify`). Both work on bytes in memory; nothing is extracted.
import { open as openFile } from 'node:fs/promises';
import { ModelGateError } from '../../errors.ts';
import type { Manifest } from '../manifest.ts';
import { DEFAULT_LIMITS, MODEL_FILE } from './format.ts';
import { inspectPackage, type OpenPackageOptions, type PackageCheck } from './inspect.ts';

export interface OpenedPackage {
  manifest: Manifest;
  /** Plaintext model bytes, decrypted in memory when the package is encrypted. */
  modelBytes: Buffer;
  /** Plaintext of any other files (README, ...), by name. */
  otherFiles: ReadonlyMap<string, Buffer>;
  /** Key id of the trusted key that signed the manifest. */
  signerKeyId: string;
  /** SHA-256 (hex) of the whole package file: its content address. */
  packageSha256: string;
}

/** Verifies and opens a package. Throws ModelGateError: MG_PACKAGE_INVALID (archive, names,
 * limits, manifest, digests), MG_SIGNATURE_INVALID (untrusted key, bad signature) or
 * MG_DECRYPTION_FAILED (key not given, wrong key, tampered ciphertext). */
export async function openPackage(bytes: Buffer, options: OpenPackageOptions): Promise<OpenedPackage> {
  const inspection = await inspectPackage(bytes, options, 'throw');
  const { manifest, signerKeyId, plaintext } = inspection;
  if (!manifest || !signerKeyId || !plaintext) {
    // inspectPackage throws in 'throw' mode before it could return without these.
    throw new ModelGateError('MG_INTERNAL', 'package inspection ended without a result');
  }
  const modelBytes = plaintext.get(MODEL_FILE) as Buffer;
  const otherFiles = new Map([...plaintext].filter(([name]) => name !== MODEL_FILE));
  return { manifest, modelBytes, otherFiles, signerKeyId, packageSha256: inspection.packageSha256 };
}

export interface VerifyReport {
  /** True when no check failed. Skipped checks (e.g. decryption without a key) do not fail it. */
  ok: boolean;
  checks: PackageCheck[];
  packageSha256: string;
  manifest?: Manifest;
  signerKeyId?: string;
  encrypted: boolean;
}

/** Runs every check it can and reports each with its reason, instead of stopping at the first.
 * Without a decryption key an encrypted package still verifies (signature and digests cover the
 * ciphertext); its decryption check is reported as skipped. */
export async function verifyPackage(bytes: Buffer, options: OpenPackageOptions): Promise<VerifyReport> {
  const inspection = await inspectPackage(bytes, options, 'report');
  return {
    ok: inspection.checks.every((c) => c.status !== 'failed'),
    checks: inspection.checks,
    packageSha256: inspection.packageSha256,
    ...(inspection.manifest ? { manifest: inspection.manifest } : {}),
    ...(inspection.signerKeyId ? { signerKeyId: inspection.signerKeyId } : {}),
    encrypted: inspection.manifest?.encryption !== undefined,
  };
}

/** Reads a package file, refusing one larger than maxPackageBytes before reading it. */
export async function readPackageFile(path: string, maxPackageBytes = DEFAULT_LIMITS.maxPackageBytes): Promise<Buffer> {
  let handle;
  try {
    handle = await openFile(path, 'r');
  } catch (err) {
    throw new ModelGateError('MG_NOT_FOUND', `package file ${path} cannot be opened`, { cause: err });
  }
  try {
    const { size, isFile } = await handle.stat().then((s) => ({ size: s.size, isFile: s.isFile() }));
    if (!isFile) throw new ModelGateError('MG_PACKAGE_INVALID', `${path} is not a regular file`);
    if (size > maxPackageBytes) {
      throw new ModelGateError('MG_PACKAGE_INVALID', `package refused: ${path} is ${size} bytes, over the limit of ${maxPackageBytes}`);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
