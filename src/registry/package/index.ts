// Public surface of the package format: keys, trust stores, building, opening and verifying .mgpkg
// files. See docs/packages.md for the format and the refusal rules.
export {
  DEFAULT_LIMITS, MANIFEST_FILE, MODEL_FILE, PACKAGE_EXTENSION, SIGNATURE_DOMAIN, SIGNATURE_FILE,
  type PackageLimits,
} from './format.ts';
export { canonicalJson } from './canonical-json.ts';
export {
  generateSigningKeyPair, keyIdOf, loadSigningKey, signingKeyFromPem, writeSigningKeyPair,
  type GeneratedKeyPair, type SigningKey, type WriteKeyPairOptions, type WrittenKeyPair,
} from './keys.ts';
export { loadTrustStore, publicKeyFromPem, trustStoreFromKeys, trustStoreFromPems, type TrustStore } from './trust.ts';
export {
  ENCRYPTION_KEY_BYTES, generateEncryptionKey, parseEncryptionKey, readEncryptionKey, type EncryptionKeySource,
} from './encryption.ts';
export {
  buildPackage, buildPackageFile,
  type BuildPackageFileOptions, type BuildPackageOptions, type BuiltPackage, type PackageEncryption, type Provenance,
} from './build.ts';
export type { CheckStatus, OpenPackageOptions, PackageCheck } from './inspect.ts';
export { openPackage, readPackageFile, verifyPackage, type OpenedPackage, type VerifyReport } from './open.ts';
