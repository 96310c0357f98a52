// The checks run on a package, in order: archive, required files, signature, manifest, file
// digests, decryption. In 'throw' mode the first failure is thrown (openPackage); in 'report' mode
// every check that can still run is recorded (verifyPackage).
import { verify, type KeyObject } from 'node:crypto';
import { ModelGateError, type ErrorCode } from '../../errors.ts';
import { parseManifest, type Manifest } from '../manifest.ts';
import { unpackArchive } from './archive.ts';
import { isCanonicalJson } from './canonical-json.ts';
import { sha256Hex } from './digest.ts';
import { decryptFile } from './encryption.ts';
import {
  MANIFEST_FILE, MODEL_FILE, SIGNATURE_FILE, resolveLimits, signatureFileSchema, signatureMessage,
  type PackageLimits, type SignatureFile,
} from './format.ts';
import { keyIdOf } from './keys.ts';
import type { TrustStore } from './trust.ts';

export type CheckStatus = 'ok' | 'failed' | 'skipped';

export interface PackageCheck {
  /** 'archive', 'required files', 'signature', 'manifest', 'file <name>' or 'decryption'. */
  name: string;
  status: CheckStatus;
  /** What was found (ok), the exact reason (failed), or why it did not run (skipped). */
  detail: string;
  /** The error code the failure maps to, for failed checks. */
  code?: ErrorCode;
}

export interface OpenPackageOptions {
  /** Public keys whose signatures are accepted, by key id. */
  trustedKeys: TrustStore;
  /** AES-256 keys (32 bytes) by key id, for encrypted packages. */
  decryptionKeys?: ReadonlyMap<string, Uint8Array>;
  limits?: Partial<PackageLimits>;
}

export interface Inspection {
  checks: PackageCheck[];
  packageSha256: string;
  manifest?: Manifest;
  signerKeyId?: string;
  /** Plaintext of every stored file but manifest.json and signature.json; set when all checks
   * passed and any encryption was undone. */
  plaintext?: Map<string, Buffer>;
}

export async function inspectPackage(bytes: Buffer, options: OpenPackageOptions, mode: 'throw' | 'report'): Promise<Inspection> {
  const inspection: Inspection = { checks: [], packageSha256: sha256Hex(bytes) };
  const limits = resolveLimits(options.limits);
  const record = (name: string, status: CheckStatus, detail: string, code?: ErrorCode): void => {
    inspection.checks.push(code ? { name, status, detail, code } : { name, status, detail });
  };
  const fail = (name: string, error: ModelGateError): void => {
    if (mode === 'throw') throw error;
    record(name, 'failed', error.message, error.code);
  };
  const skipRest = (names: string[], why: string): Inspection => {
    for (const name of names) record(name, 'skipped', why);
    return inspection;
  };

  let entries: Map<string, Buffer>;
  try {
    const unpacked = await unpackArchive(bytes, limits);
    entries = unpacked.entries;
    record('archive', 'ok', `${entries.size} plain files, ${unpacked.unpackedBytes} bytes unpacked`);
  } catch (err) {
    if (!(err instanceof ModelGateError)) throw err;
    fail('archive', err);
    return skipRest(['required files', 'signature', 'manifest', 'files', 'decryption'], 'the archive could not be read');
  }

  const missing = [MANIFEST_FILE, SIGNATURE_FILE, MODEL_FILE].filter((f) => !entries.has(f));
  if (missing.length > 0) {
    fail('required files', invalid(`package refused: missing ${missing.join(', ')}`));
    return skipRest(['signature', 'manifest', 'files', 'decryption'], 'required files are missing');
  }
  record('required files', 'ok', `${MANIFEST_FILE}, ${SIGNATURE_FILE} and ${MODEL_FILE} are present`);
  const manifestBytes = entries.get(MANIFEST_FILE) as Buffer;

  const signer = checkSignature(entries.get(SIGNATURE_FILE) as Buffer, manifestBytes, options.trustedKeys);
  if (signer instanceof ModelGateError) fail('signature', signer);
  else {
    inspection.signerKeyId = signer;
    record('signature', 'ok', `ed25519 signature by trusted key '${signer}'`);
  }

  const manifest = checkManifest(manifestBytes);
  if (manifest instanceof ModelGateError) {
    fail('manifest', manifest);
    return skipRest(['files', 'decryption'], 'the manifest is invalid');
  }
  inspection.manifest = manifest;
  record('manifest', 'ok', `${manifest.name} ${manifest.version}, ${Object.keys(manifest.files ?? {}).length} files listed`);

  const listed = manifest.files ?? {};
  for (const [name, expected] of Object.entries(listed)) {
    const actual = entries.get(name);
    const check = `file ${name}`;
    if (!actual) fail(check, invalid(`package refused: ${name} is listed in the manifest but absent from the archive`));
    else if (actual.length !== expected.size) {
      fail(check, invalid(`package refused: ${name} is ${actual.length} bytes, the manifest says ${expected.size}`));
    } else {
      const digest = sha256Hex(actual);
      if (digest !== expected.sha256) {
        fail(check, invalid(`package refused: ${name} has sha256 ${digest}, the manifest says ${expected.sha256}`));
      } else record(check, 'ok', `sha256 ${digest}, ${actual.length} bytes`);
    }
  }
  for (const name of entries.keys()) {
    if (name === MANIFEST_FILE || name === SIGNATURE_FILE || Object.hasOwn(listed, name)) continue;
    fail(`file ${name}`, invalid(`package refused: ${name} is in the archive but not listed in the manifest`));
  }

  if (inspection.checks.some((c) => c.status === 'failed')) return skipRest(['decryption'], 'earlier checks failed');
  const plaintext = new Map<string, Buffer>();
  for (const name of Object.keys(listed)) plaintext.set(name, entries.get(name) as Buffer);
  if (!manifest.encryption) {
    record('decryption', 'skipped', 'the package is not encrypted');
    inspection.plaintext = plaintext;
    return inspection;
  }
  const { keyId } = manifest.encryption;
  const key = options.decryptionKeys?.get(keyId);
  if (!key) {
    const error = new ModelGateError('MG_DECRYPTION_FAILED', `the package is encrypted with key '${keyId}', which was not given`);
    if (mode === 'throw') throw error;
    return skipRest(['decryption'], error.message);
  }
  if (key.length !== 32) {
    fail('decryption', new ModelGateError('MG_DECRYPTION_FAILED', `decryption key '${keyId}' is ${key.length} bytes; AES-256 needs 32`));
    return inspection;
  }
  try {
    for (const [name, sealed] of Object.entries(manifest.encryption.files)) {
      const binding = { name: manifest.name, version: manifest.version, file: name };
      const clear = decryptFile(Buffer.from(key), { ciphertext: entries.get(name) as Buffer, ...sealed }, binding, keyId);
      if (sha256Hex(clear) !== sealed.plaintextSha256) {
        throw new ModelGateError('MG_DECRYPTION_FAILED', `${name} decrypted to bytes whose sha256 is not the one in the manifest`);
      }
      plaintext.set(name, clear);
    }
  } catch (err) {
    if (!(err instanceof ModelGateError)) throw err;
    fail('decryption', err);
    return inspection;
  }
  record('decryption', 'ok', `${Object.keys(manifest.encryption.files).join(', ')} decrypted with key '${keyId}'`);
  inspection.plaintext = plaintext;
  return inspection;
}

function invalid(message: string): ModelGateError {
  return new ModelGateError('MG_PACKAGE_INVALID', message);
}

/** Returns the signer's key id, or the reason the signature is not accepted. */
function checkSignature(signatureBytes: Buffer, manifestBytes: Buffer, trusted: TrustStore): string | ModelGateError {
  let parsed: SignatureFile;
  try {
    const result = signatureFileSchema.safeParse(JSON.parse(signatureBytes.toString('utf8')));
    if (!result.success) {
      const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      return new ModelGateError('MG_SIGNATURE_INVALID', `${SIGNATURE_FILE} is invalid: ${problems}`);
    }
    parsed = result.data;
  } catch {
    return new ModelGateError('MG_SIGNATURE_INVALID', `${SIGNATURE_FILE} is not JSON`);
  }
  const key: KeyObject | undefined = trusted.get(parsed.keyId);
  // A hand-built trust store could file a key under the wrong id; only the key's own id counts.
  if (!key || keyIdOf(key) !== parsed.keyId) {
    return new ModelGateError('MG_SIGNATURE_INVALID', `the package is signed by key '${parsed.keyId}', which is not trusted`);
  }
  const ok = verify(null, signatureMessage(manifestBytes), key, Buffer.from(parsed.signature, 'base64'));
  if (!ok) {
    return new ModelGateError('MG_SIGNATURE_INVALID', `the signature by key '${parsed.keyId}' does not match ${MANIFEST_FILE}`);
  }
  return parsed.keyId;
}

function checkManifest(bytes: Buffer): Manifest | ModelGateError {
  if (!isCanonicalJson(bytes)) {
    return invalid(`${MANIFEST_FILE} is not canonical JSON (sorted keys, no whitespace, no duplicate keys)`);
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(JSON.parse(bytes.toString('utf8')), MANIFEST_FILE);
  } catch (err) {
    if (err instanceof ModelGateError) return err;
    throw err;
  }
  const files = manifest.files;
  if (!files) return invalid(`${MANIFEST_FILE} has no 'files' map; a package lists every stored file`);
  if (!Object.hasOwn(files, MODEL_FILE)) return invalid(`${MANIFEST_FILE} does not list ${MODEL_FILE}`);
  for (const reserved of [MANIFEST_FILE, SIGNATURE_FILE]) {
    if (Object.hasOwn(files, reserved)) return invalid(`${MANIFEST_FILE} lists ${reserved}, which cannot digest itself`);
  }
  for (const name of Object.keys(manifest.encryption?.files ?? {})) {
    if (!Object.hasOwn(files, name)) return invalid(`${MANIFEST_FILE} encrypts ${name}, which it does not list`);
  }
  return manifest;
}
