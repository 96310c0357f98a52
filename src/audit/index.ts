// Public surface of the audit log: the group-commit writer, the verifier, the auditor's queries
// and export, retention, payload capture, the input hash, and the checkpoint signing key helpers.
export { AuditLog, type AppendResult, type AuditLogOptions, type AuditLogStats } from './log.ts';
export { verifyAuditLog, type AuditProblem, type BrokenLink, type VerifyOptions, type VerifyReport } from './verify.ts';
export { queryAuditRecords, exportAuditJsonl, type AuditFilter, type AuditPage } from './query.ts';
export { archiveAuditLog, ArchiveRaceError, ARCHIVE_MAX_RECORDS, type ArchiveOptions, type ArchiveResult } from './archive.ts';
export { archiveExpired, archiveFile, RETENTION_MAX_RUNS, type RetentionOptions, type RetentionResult } from './retention.ts';
export {
  capturePayload, checkCapturePolicy, payloadCaptureSchema, redactText, sampleFraction, REDACTION_KINDS,
  type PayloadCapturePolicy, type RedactionKind,
} from './capture.ts';
export { canonicalInputHash } from './input-hash.ts';
export { canonicalJson, canonicalRecord, entryToBody, recordHash, GENESIS_HASH } from './canonical.ts';
export {
  auditKeyId, checkpointMessage, checkpointSignatureValid, loadOrCreateAuditSigningKey, readPublicKey, signCheckpoint,
  AUDIT_KEY_FILE, AUDIT_PUBLIC_KEY_FILE, type AuditSigner, type LoadedAuditKey, type TrustedAuditKeys,
} from './signing.ts';
export { readHead } from './rows.ts';
export { auditedPredictions, type AuditedPrediction } from './predictions.ts';
export {
  AUDIT_KINDS, type AuditCheckpoint, type AuditEntry, type AuditKind, type AuditRecord, type AuditRecordBody,
  type ChainHead, type ChangeDetail, type JsonValue, type KnownAuditFlag, type OutputSummary,
} from './types.ts';
