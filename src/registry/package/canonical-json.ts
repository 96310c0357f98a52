// Canonical JSON: object keys sorted by code unit, no whitespace. The manifest is signed as these
// bytes, so the same manifest always yields the same bytes and the same signature input.
import { ModelGateError } from '../../errors.ts';

export function canonicalJson(value: unknown): string {
  return encode(value, '(root)');
}

function encode(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // NaN and Infinity have no JSON form; JSON.stringify would silently write null.
      if (!Number.isFinite(value)) throw invalid(`${path} is not a finite number`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => (v === undefined ? 'null' : encode(v, `${path}.${i}`))).join(',')}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${encode(record[k], `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw invalid(`${path} has a ${typeof value}, which JSON cannot hold`);
  }
}

function invalid(message: string): ModelGateError {
  return new ModelGateError('MG_PACKAGE_INVALID', `manifest cannot be written as JSON: ${message}`);
}

/** True when the bytes are exactly the canonical form of what they parse to. Rejects duplicate
 * keys, whitespace and key orders that would let two different byte strings mean one manifest. */
export function isCanonicalJson(bytes: Buffer): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return false;
  }
  try {
    return Buffer.from(canonicalJson(parsed), 'utf8').equals(bytes);
  } catch {
    return false;
  }
}
