// Builds a signed, optionally encrypted .mgpkg: digests every stored file into the manifest, signs
// the canonical manifest bytes, and packs the files into a reproducible gzip'd tar.
import { sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ModelGateError } from '../../errors.ts';
import { parseManifest, type Manifest } from '../manifest.ts';
import { packArchive } from './archive.ts';
import { canonicalJson } from './canonical-json.ts';
import { fileEntry, sha256Hex } from './digest.ts';
import { encryptFile, parseEncryptionKey, readEncryptionKey } from './encryption.ts';
import { MANIFEST_FILE, MODEL_FILE, SIGNATURE_FILE, signatureMessage, type SignatureFile } from './format.ts';
import { loadSigningKey, writeNewFile, type SigningKey } from './keys.ts';
import { fileNameProblem, type TarFile } from './tar.ts';

export interface PackageEncryption {
  /** 32 bytes (or its hex/base64 text form). */
  key: Uint8Array | string;
  /** Name of the key, recorded in manifest.encryption.keyId; readers look their key up by it. */
  keyId: string;
}

export interface BuildPackageOptions {
  /** The ONNX model bytes (plaintext). */
  model: Uint8Array;
  /** A manifest object; validated with parseManifest. Its `files` and `encryption` are replaced by
   * the computed ones. */
  manifest: unknown;
  signingKey: SigningKey;
  /** Further files by name (a README, a licence), stored unencrypted and digested like the model. */
  extraFiles?: Readonly<Record<string, Uint8Array>>;
  /** Encrypts model.onnx with AES-256-GCM. Encrypted builds differ each time (random IV). */
  encryption?: PackageEncryption;
}

export interface BuiltPackage {
  /** The .mgpkg file. */
  bytes: Buffer;
  /** The manifest as signed, with `files` (and `encryption`) filled in. */
  manifest: Manifest;
  signerKeyId: string;
  /** SHA-256 of `bytes`: the package's content address. */
  packageSha256: string;
}

const RESERVED = new Set([MANIFEST_FILE, SIGNATURE_FILE, MODEL_FILE]);

export async function buildPackage(options: BuildPackageOptions): Promise<BuiltPackage> {
  const given = parseManifest(options.manifest);
  const { files: _files, encryption: _encryption, ...base } = given;

  const extras = Object.entries(options.extraFiles ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name] of extras) {
    if (RESERVED.has(name)) throw new ModelGateError('MG_PACKAGE_INVALID', `extra file '${name}' has a reserved name`);
    const problem = fileNameProblem(name);
    if (problem) throw new ModelGateError('MG_PACKAGE_INVALID', `extra file name '${name}' ${problem}`);
  }

  let modelStored: Buffer = Buffer.from(options.model);
  let encryption: Manifest['encryption'];
  if (options.encryption) {
    const key = parseEncryptionKey(options.encryption.key);
    const { keyId } = options.encryption;
    if (keyId.length === 0 || keyId.length > 128) {
      throw new ModelGateError('MG_INVALID_REQUEST', 'encryption key id must be 1 to 128 characters');
    }
    const sealed = encryptFile(key, modelStored, { name: base.name, version: base.version, file: MODEL_FILE });
    encryption = {
      algorithm: 'aes-256-gcm',
      keyId,
      files: { [MODEL_FILE]: { iv: sealed.iv, tag: sealed.tag, plaintextSha256: sha256Hex(modelStored) } },
    };
    modelStored = sealed.ciphertext;
  }

  const stored: TarFile[] = [
    { name: MODEL_FILE, bytes: modelStored },
    ...extras.map(([name, bytes]) => ({ name, bytes: Buffer.from(bytes) })),
  ];
  const files = Object.fromEntries(stored.map((f) => [f.name, fileEntry(f.bytes)]));
  const manifest = parseManifest({ ...base, files, ...(encryption ? { encryption } : {}) });
  const manifestBytes = Buffer.from(canonicalJson(manifest), 'utf8');

  // Ed25519 takes no separate digest algorithm: node:crypto wants null here.
  const signature = sign(null, signatureMessage(manifestBytes), options.signingKey.privateKey);
  const signatureFile: SignatureFile = {
    algorithm: 'ed25519',
    keyId: options.signingKey.keyId,
    signature: signature.toString('base64'),
  };

  const bytes = await packArchive([
    { name: MANIFEST_FILE, bytes: manifestBytes },
    { name: SIGNATURE_FILE, bytes: Buffer.from(canonicalJson(signatureFile), 'utf8') },
    ...stored,
  ]);
  return { bytes, manifest, signerKeyId: options.signingKey.keyId, packageSha256: sha256Hex(bytes) };
}

export interface BuildPackageFileOptions {
  modelPath: string;
  /** A JSON file holding the manifest. */
  manifestPath: string;
  /** PEM Ed25519 private key (as written by writeSigningKeyPair). */
  keyPath: string;
  outPath: string;
  /** Extra files, stored under their base names. */
  extraFilePaths?: readonly string[];
  /** Encrypt the model with the key in this file (raw 32 bytes, hex or base64 text)... */
  encryptKeyFile?: string;
  /** ...or in this environment variable (hex or base64). */
  encryptKeyEnv?: string;
  /** Required with either of the two above. */
  encryptKeyId?: string;
  /** Replace an existing output file. */
  force?: boolean;
  environment?: NodeJS.ProcessEnv;
  /** Replaces the manifest's author / createdAt (modelgate package --author, --created-at). */
  provenance?: Provenance;
  /** Fills the manifest's author / createdAt where it has none (modelgate package: the OS user,
   * now). Left out by callers that need reproducible bytes. */
  provenanceDefaults?: Provenance;
}

/** Who built a package and when (ISO-8601 with an offset), as recorded in its manifest. */
export interface Provenance {
  author?: string;
  createdAt?: string;
}

/** File-level form of buildPackage for the CLI: reads the inputs, writes the package (0644). */
export async function buildPackageFile(options: BuildPackageFileOptions): Promise<BuiltPackage & { outPath: string }> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(options.manifestPath, 'utf8'));
  } catch (err) {
    throw new ModelGateError('MG_PACKAGE_INVALID', `manifest file ${options.manifestPath} is not readable JSON`, { cause: err });
  }
  manifest = withProvenance(manifest, options);
  const encryption = await resolveEncryption(options);
  const extraFiles = new Map<string, Buffer>();
  for (const path of options.extraFilePaths ?? []) {
    const name = basename(path);
    if (extraFiles.has(name)) throw new ModelGateError('MG_INVALID_REQUEST', `two extra files are named '${name}'`);
    extraFiles.set(name, await readFile(path));
  }
  const built = await buildPackage({
    model: await readFile(options.modelPath),
    manifest,
    signingKey: await loadSigningKey(options.keyPath),
    extraFiles: Object.fromEntries(extraFiles),
    encryption,
  });
  await writeNewFile(options.outPath, built.bytes, 0o644, options.force === true);
  return { ...built, outPath: options.outPath };
}

function withProvenance(manifest: unknown, options: BuildPackageFileOptions): unknown {
  // Anything but an object is left for parseManifest to name.
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) return manifest;
  const defined = (p: Provenance = {}) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
  return { ...defined(options.provenanceDefaults), ...manifest, ...defined(options.provenance) };
}

async function resolveEncryption(options: BuildPackageFileOptions): Promise<PackageEncryption | undefined> {
  const { encryptKeyFile, encryptKeyEnv, encryptKeyId } = options;
  if (encryptKeyFile === undefined && encryptKeyEnv === undefined) {
    if (encryptKeyId !== undefined) throw new ModelGateError('MG_INVALID_REQUEST', 'an encryption key id was given without a key');
    return undefined;
  }
  if (encryptKeyFile !== undefined && encryptKeyEnv !== undefined) {
    throw new ModelGateError('MG_INVALID_REQUEST', 'give the encryption key either as a file or as an environment variable, not both');
  }
  if (encryptKeyId === undefined) throw new ModelGateError('MG_INVALID_REQUEST', 'encrypting needs a key id');
  const source = encryptKeyFile !== undefined ? { file: encryptKeyFile } : { env: encryptKeyEnv as string };
  return { key: await readEncryptionKey(source, options.environment), keyId: encryptKeyId };
}
