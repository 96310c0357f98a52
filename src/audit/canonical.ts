// Canonical encoding and hashing of records: one byte string per record whatever the engine or
// the key order, so a verifier anywhere recomputes the same hash the writer committed.
import { createHash } from 'node:crypto';
import { ModelGateError } from '../errors.ts';
import { AUDIT_KINDS, FLAG_PATTERN, type AuditEntry, type AuditRecordBody, type JsonValue } from './types.ts';

/** The hash a first record links to. */
export const GENESIS_HASH = '0'.repeat(64);

/** Domain separation: a record hash can never be mistaken for a checkpoint message or any other
 * SHA-256 this server computes. */
const RECORD_DOMAIN = Buffer.from('modelgate-audit-record-v1\0', 'utf8');

export const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** JSON with object keys sorted (by UTF-16 code unit), no whitespace, and finite numbers only.
 * Undefined members are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new ModelGateError('MG_INVALID_REQUEST', 'audit values must be finite numbers');
      // JSON.stringify gives the shortest text that reads back as the same double: one spelling per number.
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new ModelGateError('MG_INVALID_REQUEST', `audit values cannot hold a ${typeof value}`);
  }
}

/** The bytes a record's hash covers: the canonical JSON of its columns as stored (JSON columns as
 * their text), without seq, prev_hash or hash. Position is bound by the links, not by seq, so a
 * renumbered, inserted or swapped record shows as a broken link that the verifier can name. */
export function canonicalRecord(body: AuditRecordBody): string {
  return canonicalJson({
    detail_json: body.detail_json,
    endpoint: body.endpoint,
    flags_json: body.flags_json,
    input_sha256: body.input_sha256,
    kind: body.kind,
    latency_ms: body.latency_ms,
    model: body.model,
    output_json: body.output_json,
    payload_json: body.payload_json,
    principal: body.principal,
    request_id: body.request_id,
    route: body.route,
    status: body.status,
    time: body.time,
    version: body.version,
  });
}

/** SHA-256(domain || prev_hash (32 bytes) || canonical record), hex. */
export function recordHash(prevHash: string, body: AuditRecordBody): string {
  return createHash('sha256')
    .update(RECORD_DOMAIN)
    .update(Buffer.from(prevHash, 'hex'))
    .update(canonicalRecord(body), 'utf8')
    .digest('hex');
}

const optionalJson = (v: JsonValue | object | null | undefined): string | null => (v === undefined || v === null ? null : canonicalJson(v));

/** Checks an entry and turns it into the columns to store. Throws MG_INVALID_REQUEST on a value
 * that would make an unreadable record. */
export function entryToBody(entry: AuditEntry, now: () => Date = () => new Date()): AuditRecordBody {
  if (!(AUDIT_KINDS as readonly string[]).includes(entry.kind)) {
    throw new ModelGateError('MG_INVALID_REQUEST', `audit kind '${String(entry.kind)}' is not one of ${AUDIT_KINDS.join(', ')}`);
  }
  const flags = [...new Set(entry.flags ?? [])].sort();
  for (const f of flags) {
    if (!FLAG_PATTERN.test(f)) throw new ModelGateError('MG_INVALID_REQUEST', `audit flag '${f}' must be lower-case letters, digits and dashes`);
  }
  const time = entry.time ?? now().toISOString();
  if (Number.isNaN(Date.parse(time))) throw new ModelGateError('MG_INVALID_REQUEST', `audit time '${time}' is not a date`);
  if (entry.inputSha256 != null && !HASH_PATTERN.test(entry.inputSha256)) {
    throw new ModelGateError('MG_INVALID_REQUEST', 'audit inputSha256 must be 64 lower-case hex digits');
  }
  if (entry.status != null && !Number.isInteger(entry.status)) throw new ModelGateError('MG_INVALID_REQUEST', 'audit status must be an integer');
  if (entry.latencyMs != null && !Number.isFinite(entry.latencyMs)) throw new ModelGateError('MG_INVALID_REQUEST', 'audit latencyMs must be finite');
  return {
    time: new Date(time).toISOString(),
    kind: entry.kind,
    request_id: entry.requestId ?? null,
    principal: entry.principal ?? null,
    endpoint: entry.endpoint ?? null,
    model: entry.model ?? null,
    version: entry.version ?? null,
    route: entry.route ?? null,
    input_sha256: entry.inputSha256 ?? null,
    output_json: optionalJson(entry.output),
    flags_json: canonicalJson(flags),
    status: entry.status ?? null,
    latency_ms: entry.latencyMs ?? null,
    detail_json: optionalJson(entry.detail),
    payload_json: optionalJson(entry.payload),
  };
}
