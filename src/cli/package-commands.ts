// `modelgate keygen | package | verify`: make a signing key, build a signed (optionally encrypted)
// package, and check one naming exactly what is wrong. See docs/packages.md.
import { Command } from 'commander';
import { userInfo } from 'node:os';
import { ModelGateError } from '../errors.ts';
import { checkFolder, checkReadable, checkWritable } from './files.ts';
import {
  buildPackageFile, loadTrustStore, readEncryptionKey, readPackageFile, verifyPackage, writeSigningKeyPair,
} from '../registry/package/index.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The OS user building the package; a container user with no passwd entry falls back to $USER. */
export function osUser(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return process.env.USER ?? process.env.LOGNAME;
  }
}

export function keygenCommand(): Command {
  return new Command('keygen')
    .description('make an Ed25519 key pair for signing packages: <name>.key (mode 0600) and <name>.pub')
    .option('--out <dir>', 'folder for the key files', 'keys')
    .option('--name <name>', 'base file name', 'signing')
    .option('--force', 'replace existing key files')
    .action(async (o: { out: string; name: string; force?: boolean }) => {
      checkFolder(o.out, 'key folder (--out)');
      const keys = await writeSigningKeyPair({ outDir: o.out, name: o.name, force: o.force });
      process.stdout.write(`private key: ${keys.privateKeyPath} (keep it secret)\npublic key:  ${keys.publicKeyPath} (give it to servers as a trusted key)\nkey id:      ${keys.keyId}\n`);
    });
}

export function packageCommand(): Command {
  return new Command('package')
    .description('build one signed package file from an ONNX model and its manifest')
    .requiredOption('--model <file>', 'the ONNX model')
    .requiredOption('--manifest <file>', 'the manifest JSON (name, version, inputs, labels, metrics, baseline, ...)')
    .requiredOption('--key <file>', 'Ed25519 private key PEM (from modelgate keygen)')
    .requiredOption('--out <file>', 'the package to write (.mgpkg)')
    .option('--file <file>', 'an extra file to include, e.g. a README (repeatable)', collect, [])
    .option('--encrypt-key-file <file>', 'encrypt the model with this AES-256 key (32 raw bytes, hex or base64)')
    .option('--encrypt-key-env <VAR>', 'encrypt the model with the AES-256 key in this environment variable')
    .option('--encrypt-key-id <id>', 'name of the encryption key, recorded in the manifest (required when encrypting)')
    .option('--author <name>', "who built it, recorded in the manifest (default: the manifest's author, else the OS user name)")
    .option('--created-at <time>', "creation time, ISO-8601 (default: the manifest's createdAt, else now); fix it for reproducible builds")
    .option('--force', 'replace an existing output file')
    .action(async (o: { model: string; manifest: string; key: string; out: string; file: string[]; encryptKeyFile?: string; encryptKeyEnv?: string; encryptKeyId?: string; author?: string; createdAt?: string; force?: boolean }) => {
      // Every input is checked before anything is built, so a refusal names the file and the reason.
      checkReadable(o.model, 'model file (--model)');
      checkReadable(o.manifest, 'manifest file (--manifest)');
      checkReadable(o.key, 'signing key file (--key)');
      for (const f of o.file) checkReadable(f, 'extra file (--file)');
      if (o.encryptKeyFile) checkReadable(o.encryptKeyFile, 'encryption key file (--encrypt-key-file)');
      checkWritable(o.out, 'package file (--out)');
      const built = await buildPackageFile({
        modelPath: o.model, manifestPath: o.manifest, keyPath: o.key, outPath: o.out, extraFilePaths: o.file,
        encryptKeyFile: o.encryptKeyFile, encryptKeyEnv: o.encryptKeyEnv, encryptKeyId: o.encryptKeyId, force: o.force,
        provenance: { author: o.author, createdAt: o.createdAt },
        provenanceDefaults: { author: osUser(), createdAt: new Date().toISOString() },
      });
      const m = built.manifest;
      process.stdout.write(`wrote ${built.outPath}: ${m.name} version ${m.version}, signed by ${built.signerKeyId}${m.encryption ? `, model encrypted with key '${m.encryption.keyId}'` : ''}\n`);
      process.stdout.write(`built by ${m.author ?? 'unknown'} at ${m.createdAt ?? 'unknown'}\nsha256 ${built.packageSha256}\n`);
    });
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description('check a package: archive, digests, signature against trusted keys, manifest schema, decryption')
    .argument('<package>', 'the .mgpkg file')
    .requiredOption('--trust <path>', 'trusted public key PEM, or a folder of *.pem / *.pub (repeatable)', collect, [])
    .option('--decrypt-key-file <file>', 'also decrypt the model with this key')
    .option('--decrypt-key-env <VAR>', 'also decrypt the model with the key in this environment variable')
    .option('--decrypt-key-id <id>', 'the id of that key (as recorded in the manifest)')
    .action(async (file: string, o: { trust: string[]; decryptKeyFile?: string; decryptKeyEnv?: string; decryptKeyId?: string }) => {
      checkReadable(file, 'package file');
      for (const t of o.trust) checkReadable(t, 'trusted key (--trust)', { folderToo: true });
      if (o.decryptKeyFile) checkReadable(o.decryptKeyFile, 'decryption key file (--decrypt-key-file)');
      const trustedKeys = await loadTrustStore(o.trust);
      const decryptionKeys = new Map<string, Uint8Array>();
      if (o.decryptKeyFile || o.decryptKeyEnv) {
        if (!o.decryptKeyId) throw new ModelGateError('MG_INVALID_REQUEST', '--decrypt-key-id is required with a decryption key');
        decryptionKeys.set(o.decryptKeyId, await readEncryptionKey(o.decryptKeyFile ? { file: o.decryptKeyFile } : { env: o.decryptKeyEnv! }));
      }
      const report = await verifyPackage(await readPackageFile(file), { trustedKeys, decryptionKeys });
      for (const c of report.checks) process.stdout.write(`${c.status === 'ok' ? 'ok     ' : c.status === 'failed' ? 'FAILED ' : 'skipped'} ${c.name}: ${c.detail}\n`);
      process.stdout.write(report.ok ? `\n${file} is valid (sha256 ${report.packageSha256})\n` : `\n${file} is NOT valid\n`);
      if (!report.ok) process.exitCode = 1;
    });
}
