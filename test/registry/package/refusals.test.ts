// Every refusal of openPackage, each from a crafted archive: unsafe entries, limits, gzip bombs,
// tampering, untrusted or bad signatures, invalid manifests, missing or wrong decryption keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildPackage, generateEncryptionKey, openPackage, type OpenPackageOptions } from '../../../src/registry/package/index.ts';
import {
  entriesOf, fakeModel, newSigningKey, pack, rawTar, repack, replaceEntry, resign, sampleManifest, signedFiles, tarHeader, trustOnly,
  type Entry,
} from './fixtures.ts';

const signer = newSigningKey();
const trust: OpenPackageOptions = { trustedKeys: trustOnly(signer) };
const good = await buildPackage({ model: fakeModel(), manifest: sampleManifest(), signingKey: signer });
const aes = generateEncryptionKey();
const encrypted = await buildPackage({ model: fakeModel(), manifest: sampleManifest(), signingKey: signer, encryption: { key: aes, keyId: 'k1' } });

async function refused(bytes: Buffer, code: string, message: RegExp, options: OpenPackageOptions = trust): Promise<void> {
  await assert.rejects(openPackage(bytes, options), (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const withEntry = (extra: Entry) => repack(good.bytes, (entries) => [...entries, extra]);

test('the untouched package opens (so every refusal below is caused by its edit)', async () => {
  await openPackage(good.bytes, trust);
  await openPackage(repack(good.bytes, (e) => e), trust);
});

test('entry names: parent segments, absolute paths, backslashes', async () => {
  await refused(withEntry({ name: '../evil', bytes: Buffer.from('x') }), 'MG_PACKAGE_INVALID', /entry '\.\.\/evil' contains '\.\.'/);
  await refused(withEntry({ name: 'a/../../evil', bytes: Buffer.from('x') }), 'MG_PACKAGE_INVALID', /contains '\.\.'/);
  await refused(withEntry({ name: '/etc/passwd', bytes: Buffer.from('x') }), 'MG_PACKAGE_INVALID', /entry '\/etc\/passwd' is an absolute path/);
  await refused(withEntry({ name: 'dir\\evil', bytes: Buffer.from('x') }), 'MG_PACKAGE_INVALID', /contains a backslash/);
  await refused(withEntry({ name: 'C:/evil', bytes: Buffer.from('x') }), 'MG_PACKAGE_INVALID', /absolute Windows path/);
});

test('entry types: symlinks, hard links, directories, devices, FIFOs, pax headers', async () => {
  const cases: [Entry, RegExp][] = [
    [{ name: 'link', bytes: Buffer.alloc(0), header: { type: 'SymbolicLink', linkpath: '/etc/passwd' } }, /entry 'link' is a symbolic link/],
    [{ name: 'hard', bytes: Buffer.alloc(0), header: { type: 'Link', linkpath: 'model.onnx' } }, /entry 'hard' is a hard link/],
    [{ name: 'docs', bytes: Buffer.alloc(0), header: { type: 'Directory' } }, /entry 'docs' is a directory/],
    [{ name: 'docs/', bytes: Buffer.alloc(0) }, /entry 'docs\/' is a directory/],
    [{ name: 'tty', bytes: Buffer.alloc(0), header: { type: 'CharacterDevice', devmaj: 4, devmin: 1 } }, /is a device/],
    [{ name: 'disk', bytes: Buffer.alloc(0), header: { type: 'BlockDevice' } }, /is a device/],
    [{ name: 'fifo', bytes: Buffer.alloc(0), header: { type: 'FIFO' } }, /is a FIFO/],
    [{ name: 'PaxHeader', bytes: Buffer.from('30 path=model.onnx\n'), header: { type: 'ExtendedHeader' } }, /is a pax extended header/],
  ];
  for (const [entry, message] of cases) {
    await refused(withEntry(entry), 'MG_PACKAGE_INVALID', message);
  }
  // A symlink under the model's own name, in place of the model.
  const swapped = repack(good.bytes, (entries) =>
    entries.map((e) => (e.name === 'model.onnx' ? { name: 'model.onnx', bytes: Buffer.alloc(0), header: { type: 'SymbolicLink' as const, linkpath: '/etc/passwd' } } : e)),
  );
  await refused(swapped, 'MG_PACKAGE_INVALID', /entry 'model\.onnx' is a symbolic link/);
});

test('duplicate entries', async () => {
  await refused(withEntry({ name: 'model.onnx', bytes: Buffer.from('second model') }), 'MG_PACKAGE_INVALID', /entry 'model\.onnx' appears more than once/);
});

test('entries over their size limit, too many entries, and a package over its size limit', async () => {
  await refused(good.bytes, 'MG_PACKAGE_INVALID', /entry 'model\.onnx' is 3000 bytes, over its limit of 2999/, { ...trust, limits: { maxModelBytes: 2999 } });
  await refused(withEntry({ name: 'signature.json', bytes: Buffer.alloc(5000, 0x20) }), 'MG_PACKAGE_INVALID', /appears more than once/);
  const bigSignature = repack(good.bytes, (entries) => replaceEntry(entries, 'signature.json', Buffer.alloc(5000, 0x20)));
  await refused(bigSignature, 'MG_PACKAGE_INVALID', /entry 'signature\.json' is 5000 bytes, over its limit of 4096/);
  await refused(withEntry({ name: 'README.md', bytes: Buffer.alloc(200) }), 'MG_PACKAGE_INVALID', /'README\.md' is 200 bytes, over its limit of 100/, {
    ...trust,
    limits: { maxOtherFileBytes: 100 },
  });
  await refused(good.bytes, 'MG_PACKAGE_INVALID', /more than 2 entries/, { ...trust, limits: { maxEntries: 2 } });
  await refused(good.bytes, 'MG_PACKAGE_INVALID', /the package is \d+ bytes, over the limit of 100/, { ...trust, limits: { maxPackageBytes: 100 } });
});

test('a gzip bomb stops at the unpacked-size limit', async () => {
  // 8 MiB of zeros compresses to about 8 KiB; the reader must stop at 1 MiB, not inflate it all.
  const bomb = gzipSync(Buffer.concat([tarHeader('model.onnx', 8 * 1024 * 1024), Buffer.alloc(8 * 1024 * 1024), Buffer.alloc(1024)]));
  assert.ok(bomb.length < 64 * 1024);
  await refused(bomb, 'MG_PACKAGE_INVALID', /the archive inflates to more than 1048576 bytes/, { ...trust, limits: { maxUnpackedBytes: 1024 * 1024 } });
  await refused(gzipSync(Buffer.alloc(4 * 1024 * 1024)), 'MG_PACKAGE_INVALID', /inflates to more than/, { ...trust, limits: { maxUnpackedBytes: 1024 * 1024 } });
});

test('archive structure: not gzip, corrupt gzip, truncated tar, bad checksum, data after the end', async () => {
  await refused(rawTar([{ name: 'model.onnx', bytes: Buffer.from('x') }]), 'MG_PACKAGE_INVALID', /not gzip-compressed/);
  const corrupt = Buffer.from(good.bytes);
  corrupt[corrupt.length - 20] ^= 0xff;
  await refused(corrupt, 'MG_PACKAGE_INVALID', /package refused/);
  const tar = rawTar(entriesOf(good.bytes));
  await refused(gzipSync(tar.subarray(0, 1024 + 512)), 'MG_PACKAGE_INVALID', /truncated|end-of-archive/);
  await refused(gzipSync(tar.subarray(0, tar.length - 1024)), 'MG_PACKAGE_INVALID', /without an end-of-archive marker/);
  const badSum = Buffer.from(tar);
  badSum[0] ^= 0x01;
  await refused(gzipSync(badSum), 'MG_PACKAGE_INVALID', /tar header at byte 0 has a bad checksum/);
  const smuggled = Buffer.concat([tar, rawTar([{ name: 'hidden', bytes: Buffer.from('x') }])]);
  await refused(gzipSync(smuggled), 'MG_PACKAGE_INVALID', /data after its end marker/);
});

test('missing manifest, signature or model', async () => {
  for (const name of ['manifest.json', 'signature.json', 'model.onnx']) {
    await refused(repack(good.bytes, (entries) => entries.filter((e) => e.name !== name)), 'MG_PACKAGE_INVALID', new RegExp(`missing ${name.replace('.', '\\.')}`));
  }
});

test('files not in the manifest, and files listed but absent', async () => {
  await refused(withEntry({ name: 'extra.bin', bytes: Buffer.from('smuggled') }), 'MG_PACKAGE_INVALID', /extra\.bin is in the archive but not listed in the manifest/);
  const withReadme = await buildPackage({ model: fakeModel(), manifest: sampleManifest(), signingKey: signer, extraFiles: { 'README.md': Buffer.from('hi') } });
  await refused(repack(withReadme.bytes, (entries) => entries.filter((e) => e.name !== 'README.md')), 'MG_PACKAGE_INVALID', /README\.md is listed in the manifest but absent/);
});

test('a flipped byte or a changed size in the model is named', async () => {
  const flipped = repack(good.bytes, (entries) =>
    entries.map((e) => {
      if (e.name !== 'model.onnx') return e;
      const bytes = Buffer.from(e.bytes);
      bytes[1234] ^= 0x01;
      return { ...e, bytes };
    }),
  );
  await refused(flipped, 'MG_PACKAGE_INVALID', /model\.onnx has sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);
  const longer = repack(good.bytes, (entries) => replaceEntry(entries, 'model.onnx', Buffer.concat([fakeModel(), Buffer.from([0])])));
  await refused(longer, 'MG_PACKAGE_INVALID', /model\.onnx is 3001 bytes, the manifest says 3000/);
});

test('a manifest edited after signing fails the signature', async () => {
  const edited = repack(good.bytes, (entries) =>
    entries.map((e) => (e.name === 'manifest.json' ? { ...e, bytes: Buffer.from(e.bytes.toString().replace('test model', 'evil model')) } : e)),
  );
  await refused(edited, 'MG_SIGNATURE_INVALID', new RegExp(`signature by key '${signer.keyId}' does not match manifest\\.json`));
  // Editing the model and its digest together is caught the same way.
  const model = Buffer.from('a different model');
  const swapped = repack(good.bytes, (entries) => {
    const manifest = JSON.parse((entries[0] as Entry).bytes.toString());
    manifest.files['model.onnx'] = { sha256: sha256Hex(model), size: model.length };
    return [...signedFiles(manifest, signer).slice(0, 1), entries[1], { name: 'model.onnx', bytes: model }];
  });
  await refused(swapped, 'MG_SIGNATURE_INVALID', /does not match/);
});

test('a signature by a key outside the trust store names the key', async () => {
  const stranger = newSigningKey();
  const other = await buildPackage({ model: fakeModel(), manifest: sampleManifest(), signingKey: stranger });
  await refused(other.bytes, 'MG_SIGNATURE_INVALID', new RegExp(`signed by key '${stranger.keyId}', which is not trusted`));
  // Re-signing a tampered manifest with one's own key does not help either.
  const resigned = resign(good.bytes, stranger, (manifest, entries) => {
    manifest.description = 'evil';
    return entries;
  });
  await refused(resigned, 'MG_SIGNATURE_INVALID', new RegExp(`'${stranger.keyId}', which is not trusted`));
  // A trust store that files a stranger's key under the signer's id does not trust it.
  const forged = resign(good.bytes, stranger, (_m, entries) => entries);
  const lying = new Map([[stranger.keyId, signer.publicKey]]);
  await refused(forged, 'MG_SIGNATURE_INVALID', /not trusted/, { trustedKeys: lying });
});

test('a malformed signature.json', async () => {
  await refused(repack(good.bytes, (e) => replaceEntry(e, 'signature.json', Buffer.from('not json'))), 'MG_SIGNATURE_INVALID', /signature\.json is not JSON/);
  const wrongAlgorithm = Buffer.from(JSON.stringify({ algorithm: 'rsa', keyId: signer.keyId, signature: 'AAAA' }));
  await refused(repack(good.bytes, (e) => replaceEntry(e, 'signature.json', wrongAlgorithm)), 'MG_SIGNATURE_INVALID', /signature\.json is invalid: algorithm/);
});

test('a signed but invalid manifest is refused with the schema message', async () => {
  const badName = resign(good.bytes, signer, (manifest, entries) => {
    manifest.name = 'Bad Name';
    return entries;
  });
  await refused(badName, 'MG_PACKAGE_INVALID', /manifest\.json is invalid: name: lower-case letters/);
  const noFiles = resign(good.bytes, signer, (manifest, entries) => {
    delete manifest.files;
    return entries;
  });
  await refused(noFiles, 'MG_PACKAGE_INVALID', /has no 'files' map/);
  const entries = entriesOf(good.bytes).slice(2);
  const manifest = JSON.parse(entriesOf(good.bytes)[0].bytes.toString());
  const pretty = pack([...signedFiles(manifest, signer, JSON.stringify(manifest, null, 2)), ...entries]);
  await refused(pretty, 'MG_PACKAGE_INVALID', /manifest\.json is not canonical JSON/);
  const duplicateKey = pack([...signedFiles(manifest, signer, `{"author":"a",${JSON.stringify(manifest).slice(1, -1)},"author":"b"}`), ...entries]);
  await refused(duplicateKey, 'MG_PACKAGE_INVALID', /not canonical JSON/);
});

test('an encrypted package without its key names the key', async () => {
  await refused(encrypted.bytes, 'MG_DECRYPTION_FAILED', /encrypted with key 'k1', which was not given/);
  await refused(encrypted.bytes, 'MG_DECRYPTION_FAILED', /key 'k1', which was not given/, { ...trust, decryptionKeys: new Map([['k2', aes]]) });
});

test('a wrong key or tampered ciphertext fails decryption', async () => {
  await refused(encrypted.bytes, 'MG_DECRYPTION_FAILED', /model\.onnx could not be decrypted with key 'k1'/, {
    ...trust,
    decryptionKeys: new Map([['k1', generateEncryptionKey()]]),
  });
  await refused(encrypted.bytes, 'MG_DECRYPTION_FAILED', /decryption key 'k1' is 16 bytes; AES-256 needs 32/, {
    ...trust,
    decryptionKeys: new Map([['k1', aes.subarray(0, 16)]]),
  });
  // The signer re-digests a tampered ciphertext, so only GCM can notice.
  const tampered = resign(encrypted.bytes, signer, (manifest, entries) => {
    const model = Buffer.from((entries.find((e) => e.name === 'model.onnx') as Entry).bytes);
    model[10] ^= 0x80;
    (manifest.files as Record<string, unknown>)['model.onnx'] = { sha256: sha256Hex(model), size: model.length };
    return replaceEntry(entries, 'model.onnx', model);
  });
  await refused(tampered, 'MG_DECRYPTION_FAILED', /wrong key or tampered ciphertext/, { ...trust, decryptionKeys: new Map([['k1', aes]]) });
  // The ciphertext is bound to the model name and version: renaming the package breaks it.
  const renamed = resign(encrypted.bytes, signer, (manifest, entries) => {
    manifest.name = 'other-model';
    return entries;
  });
  await refused(renamed, 'MG_DECRYPTION_FAILED', /could not be decrypted/, { ...trust, decryptionKeys: new Map([['k1', aes]]) });
});
