// What the audit log records: the entry a caller appends, and the record read back with its place
// in the chain. Field names follow the table so a record reads the same in SQL, JSON lines and code.
import type { Selectable } from 'kysely';
import type { AuditRecordsTable } from '../store/schema.ts';

/** Any JSON document; what `output`, `detail` and `payload` hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const AUDIT_KINDS = ['inference', 'rejected', 'admin', 'decision'] as const;
/** inference: a request answered (or failed inside the model); rejected: refused before the model
 * (401/403/429/4xx); admin: a person changed something; decision: the server changed something by
 * itself (a rollout step, a block). */
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** The flags the dataplane raises; others may be added, spelled the same way (lower-case, dashes). */
export type KnownAuditFlag = 'rate-limited' | 'input-rejected' | 'out-of-distribution' | 'extraction-suspect';
export const FLAG_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;

/** The summary of an answer kept instead of the answer: enough to audit, too little to rebuild it. */
export interface OutputSummary {
  label?: string | number | null;
  confidence?: number | null;
  [key: string]: JsonValue | undefined;
}

/** Who did what, before/after, why: the detail of an admin action or an automatic decision. */
export interface ChangeDetail {
  action: string;
  target?: string;
  before?: JsonValue;
  after?: JsonValue;
  reason?: string;
  [key: string]: JsonValue | undefined;
}

/** What a caller appends. Absent fields are stored as null; time defaults to now. */
export interface AuditEntry {
  kind: AuditKind;
  time?: string;
  requestId?: string | null;
  principal?: string | null;
  endpoint?: string | null;
  model?: string | null;
  version?: string | null;
  /** How the router chose: 'primary', 'canary', 'shadow', 'variant:b', ... */
  route?: string | null;
  /** canonicalInputHash(inputs): the raw input is not kept. */
  inputSha256?: string | null;
  output?: OutputSummary | null;
  flags?: readonly string[];
  status?: number | null;
  latencyMs?: number | null;
  detail?: ChangeDetail | { [key: string]: JsonValue } | null;
  /** A redacted, sampled copy of the input (capturePayload), only when the model asks for it. */
  payload?: JsonValue | null;
}

/**
 * A record as stored: the entry's columns, its position and its links. The table's row type, with
 * the sequence number normalised to a number (pg returns 64-bit integers as strings).
 */
export type AuditRecord = Omit<Selectable<AuditRecordsTable>, 'seq'> & { seq: number };

/** The columns a record's hash covers: everything but its position and its links. */
export type AuditRecordBody = Omit<AuditRecord, 'seq' | 'prev_hash' | 'hash'>;

export interface AuditCheckpoint {
  seq: number;
  head_hash: string;
  time: string;
  key_id: string;
  /** Ed25519 signature, base64. */
  signature: string;
}

/** Where the chain ends: the last record's seq and hash (0 and GENESIS_HASH when empty). */
export interface ChainHead {
  seq: number;
  hash: string;
}
