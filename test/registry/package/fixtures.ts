// Test fixtures for the package format: fresh keys, a sample manifest, and a small tar/gzip toolkit
// for taking packages apart and crafting malicious ones byte by byte.
import { sign } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Header, type HeaderData } from 'tar';
import {
  canonicalJson, generateSigningKeyPair, signingKeyFromPem, SIGNATURE_DOMAIN, trustStoreFromKeys,
  type SigningKey, type TrustStore,
} from '../../../src/registry/package/index.ts';

export function newSigningKey(): SigningKey {
  return signingKeyFromPem(generateSigningKeyPair().privateKeyPem);
}

export function trustOnly(...keys: SigningKey[]): TrustStore {
  return trustStoreFromKeys(keys.map((k) => k.publicKey));
}

export function sampleManifest(): Record<string, unknown> {
  return {
    name: 'spam-filter',
    version: '1.0.0',
    description: 'test model',
    labels: ['ham', 'spam'],
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
  };
}

/** Deterministic, non-trivial model bytes (any bytes will do where ONNX is not loaded). */
export function fakeModel(size = 3000): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

export interface Entry {
  name: string;
  bytes: Buffer;
  header?: HeaderData;
}

/** Lists the entries of a gzip'd tar (a trusting reader, for tests only). */
export function entriesOf(pkg: Buffer): Entry[] {
  const tar = gunzipSync(pkg);
  const out: Entry[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = new Header(tar, off);
    if (h.nullBlock) break;
    const size = h.size ?? 0;
    out.push({ name: h.path ?? '', bytes: Buffer.from(tar.subarray(off + 512, off + 512 + size)), header: { type: h.type, linkpath: h.linkpath, mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime, uname: h.uname } });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

export function tarHeader(name: string, size: number, extra: HeaderData = {}): Buffer {
  const block = Buffer.alloc(512);
  new Header({ path: name, mode: 0o644, uid: 0, gid: 0, size, mtime: new Date(0), type: 'File', ...extra }).encode(block, 0);
  return block;
}

/** A raw tar: each entry's header (type etc. as given), its data padded to 512, then the end marker. */
export function rawTar(entries: readonly Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e.name, e.bytes.length, e.header), e.bytes, Buffer.alloc((512 - (e.bytes.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function pack(entries: readonly Entry[]): Buffer {
  return gzipSync(rawTar(entries));
}

/** Takes a package apart, lets `edit` change its entries, and packs it again (no re-signing). */
export function repack(pkg: Buffer, edit: (entries: Entry[]) => Entry[]): Buffer {
  return pack(edit(entriesOf(pkg).map((e) => ({ name: e.name, bytes: e.bytes }))));
}

export function replaceEntry(entries: Entry[], name: string, bytes: Buffer): Entry[] {
  return entries.map((e) => (e.name === name ? { ...e, bytes } : e));
}

/** manifest.json and signature.json for an arbitrary manifest object, signed as the format says. */
export function signedFiles(manifest: unknown, key: SigningKey, manifestText?: string): Entry[] {
  const manifestBytes = Buffer.from(manifestText ?? canonicalJson(manifest), 'utf8');
  const signature = sign(null, Buffer.concat([Buffer.from(SIGNATURE_DOMAIN), manifestBytes]), key.privateKey);
  const sigFile = { algorithm: 'ed25519', keyId: key.keyId, signature: signature.toString('base64') };
  return [
    { name: 'manifest.json', bytes: manifestBytes },
    { name: 'signature.json', bytes: Buffer.from(JSON.stringify(sigFile)) },
  ];
}

/** Re-signs a package after `edit` changes its manifest object and/or its other entries. */
export function resign(
  pkg: Buffer,
  key: SigningKey,
  edit: (manifest: Record<string, unknown>, entries: Entry[]) => Entry[],
): Buffer {
  const entries = entriesOf(pkg);
  const manifest = JSON.parse((entries.find((e) => e.name === 'manifest.json') as Entry).bytes.toString()) as Record<string, unknown>;
  const others = edit(manifest, entries.filter((e) => e.name !== 'manifest.json' && e.name !== 'signature.json'));
  return pack([...signedFiles(manifest, key), ...others]);
}

/** A real ONNX graph: z = x + y on float tensors of shape [N, 3] (opset 13). */
export async function onnxAddModel(): Promise<Buffer> {
  const { default: p } = await import('onnx-proto');
  const { onnx } = p;
  const tensor = (name: string) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: onnx.TensorShapeProto.create({
            dim: [onnx.TensorShapeProto.Dimension.create({ dimParam: 'N' }), onnx.TensorShapeProto.Dimension.create({ dimValue: 3 })],
          }),
        }),
      }),
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'modelgate-test',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
    graph: onnx.GraphProto.create({
      name: 'add',
      node: [onnx.NodeProto.create({ opType: 'Add', input: ['x', 'y'], output: ['z'] })],
      input: [tensor('x'), tensor('y')],
      output: [tensor('z')],
    }),
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}
