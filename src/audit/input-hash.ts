// canonicalInputHash: a SHA-256 that names an inference input without keeping it. It hashes the
// decoded tensors, not the request text, so JSON key order, `1` vs `1.0` vs `1e0`, and the order
// of the inputs in the request do not change it; the datatype, shape and values do.
import { createHash, type Hash } from 'node:crypto';
import type { Tensor } from '../protocol/types.ts';

const INPUT_DOMAIN = 'modelgate-audit-input-v1\0';

export function canonicalInputHash(inputs: readonly Tensor[]): string {
  const hash = createHash('sha256').update(INPUT_DOMAIN, 'utf8');
  const sorted = [...inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  writeU64(hash, sorted.length);
  for (const t of sorted) {
    writeString(hash, t.name);
    writeString(hash, t.datatype);
    writeU64(hash, t.shape.length);
    for (const d of t.shape) writeF64(hash, d);
    writeData(hash, t.data);
  }
  return hash.digest('hex');
}

function writeData(hash: Hash, data: Tensor['data']): void {
  writeU64(hash, data.length);
  if (Array.isArray(data)) {
    for (const s of data) writeString(hash, s);
    return;
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const buf = Buffer.alloc(8 * data.length);
    for (let i = 0; i < data.length; i++) buf.writeBigInt64LE(BigInt.asIntN(64, data[i]), i * 8);
    hash.update(buf);
    return;
  }
  // Every other element type fits a double exactly. -0 becomes 0 and every NaN one NaN, so two
  // spellings of the same value hash alike; little-endian whatever the machine.
  const buf = Buffer.alloc(8 * data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    buf.writeDoubleLE(Number.isNaN(v) ? Number.NaN : v === 0 ? 0 : v, i * 8);
  }
  hash.update(buf);
}

function writeString(hash: Hash, s: string): void {
  const bytes = Buffer.from(s, 'utf8');
  writeU64(hash, bytes.length);
  hash.update(bytes);
}

function writeU64(hash: Hash, n: number): void {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64LE(BigInt(n));
  hash.update(buf);
}

function writeF64(hash: Hash, n: number): void {
  const buf = Buffer.alloc(8);
  buf.writeDoubleLE(n);
  hash.update(buf);
}
