// Row types of every table, for Kysely. Each migration that adds a table adds its row type here,
// next to the SQL in migrations/, so queries are checked against the schema they run on.
// Timestamps are ISO-8601 UTC text and JSON documents are text in both engines: one query code.
import type { ColumnType, Generated } from 'kysely';

export interface SchemaMigrationsTable {
  id: number;
  name: string;
  applied_at: string;
}

export interface ModelsTable {
  name: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

export interface ModelVersionsTable {
  model_name: string;
  version: string;
  /** SHA-256 of the package file: its address in the blob store. */
  package_sha256: string;
  package_size: number;
  signer_key_id: string;
  manifest_json: string;
  /** The verify report's checks, as JSON. */
  validation_json: string;
  stage: string;
  /** Position in the model's production history; the highest is the current production version,
   * the next one is where rollback goes. Null when the version is not a rollback target. */
  promoted_seq: number | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

export interface ModelAliasesTable {
  model_name: string;
  alias: string;
  version: string;
  updated_at: string;
  updated_by: string;
}

export interface ModelHistoryTable {
  id: Generated<number>;
  model_name: string;
  version: string | null;
  action: string;
  actor: string;
  at: string;
  before_json: string | null;
  after_json: string | null;
  reason: string | null;
}

/** A 64-bit sequence number: PostgreSQL's pg returns bigint as a string, SQLite as a number. */
export type SeqColumn = ColumnType<number | string, number, number>;

export interface AuditRecordsTable {
  seq: SeqColumn;
  time: string;
  kind: string;
  request_id: string | null;
  principal: string | null;
  endpoint: string | null;
  model: string | null;
  version: string | null;
  route: string | null;
  input_sha256: string | null;
  output_json: string | null;
  /** Canonical JSON array of flag names, `[]` when none. */
  flags_json: string;
  status: number | null;
  latency_ms: number | null;
  detail_json: string | null;
  payload_json: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditCheckpointsTable {
  seq: SeqColumn;
  head_hash: string;
  time: string;
  key_id: string;
  signature: string;
}

export interface AuditArchivesTable {
  to_seq: SeqColumn;
  from_seq: SeqColumn;
  file: string;
  file_sha256: string;
  head_hash: string;
  records: SeqColumn;
  archived_at: string;
  archived_by: string;
}

export interface Database {
  schema_migrations: SchemaMigrationsTable;
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  model_history: ModelHistoryTable;
  served_versions: ServedVersionsTable;
  audit_records: AuditRecordsTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_archives: AuditArchivesTable;
}

/** Migration 3: versions loaded explicitly, besides each model's production version. */
export interface ServedVersionsTable {
  model_name: string;
  version: string;
  loaded_at: string;
  loaded_by: string;
}

/** Migration 5: API keys; secret_hash is `scrypt$ln=..,r=..,p=..$salt$hash`, never the secret. */
export interface ApiKeysTable {
  id: string;
  name: string;
  secret_hash: string;
  roles_json: string;
  models_json: string | null;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  last_used_at: string | null;
}

// Declaration merging adds the table to Database without editing the list other migrations share.
export interface Database {
  api_keys: ApiKeysTable;
}

/** Migration 4: alerting. Times are ISO-8601 text; labels_json and rule_json are JSON text. */
export interface AlertRulesTable {
  name: string;
  rule_json: string;
  updated_at: string;
  updated_by: string;
}

export interface AlertEventsTable {
  seq: Generated<number>;
  id: string;
  instance_key: string;
  rule: string;
  labels_json: string;
  /** pending, firing, resolved, or inactive (pending that cleared before it fired). */
  state: string;
  severity: string;
  value: number | null;
  description: string;
  active_at: string;
  fired_at: string | null;
  resolved_at: string | null;
  at: string;
}

export interface AlertNotificationsTable {
  id: string;
  event_id: string;
  target: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  /** pending, delivered or failed (given up). */
  state: string;
  delivered_at: string | null;
  updated_at: string;
}

export interface Database {
  alert_rules: AlertRulesTable;
  alert_events: AlertEventsTable;
  alert_notifications: AlertNotificationsTable;
}

/** Migration 6: routing. policy_json, config_json, stats_json and detail_json are JSON text. */
export interface EndpointsTable {
  name: string;
  policy_json: string;
  revision: number;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

export interface RolloutsTable {
  id: Generated<number>;
  endpoint: string;
  /** canary, shadow or experiment. */
  kind: string;
  /** running, paused, succeeded, rolled_back, aborted or stopped. */
  state: string;
  step_index: number;
  step_started_at: string;
  config_json: string;
  stats_json: string | null;
  baseline_json: string | null;
  started_at: string;
  started_by: string;
  updated_at: string;
  ended_at: string | null;
  end_reason: string | null;
}

export interface RolloutEventsTable {
  id: Generated<number>;
  endpoint: string;
  rollout_id: number | null;
  at: string;
  actor: string;
  action: string;
  /** 1 when the rollout controller decided, 0 when an operator asked. */
  automatic: number;
  reason: string | null;
  detail_json: string | null;
}

export interface Database {
  endpoints: EndpointsTable;
  rollouts: RolloutsTable;
  rollout_events: RolloutEventsTable;
}

/** Migration 7: extraction levels shared by replicas. Times are ISO-8601 text. */
export interface ExtractionLevelsTable {
  model: string;
  principal: string;
  level: string;
  updated_at: string;
  /** The replica (host:pid) that raised the level, or the operator who lifted it. */
  updated_by: string;
  reason: string | null;
  lifted_at: string | null;
}

export interface Database {
  extraction_levels: ExtractionLevelsTable;
}

/** Migration 8: ground-truth labels, one per labelled request. */
export interface FeedbackLabelsTable {
  model: string;
  request_id: string;
  version: string;
  predicted: string;
  label: string;
  principal: string;
  at: string;
}

export interface Database {
  feedback_labels: FeedbackLabelsTable;
}

/** Migration 9: package blobs in the database (cluster mode). */
export interface BlobsTable {
  sha256: string;
  /** Bytes; bigint on PostgreSQL, read back as a string there. */
  size: number | string;
  chunks: number;
  created_at: string;
}

export interface BlobChunksTable {
  sha256: string;
  seq: number;
  bytes: Uint8Array;
}

export interface Database {
  blobs: BlobsTable;
  blob_chunks: BlobChunksTable;
}

/** Migration 10: one replica's counts of one canary step (a StatsSnapshot as JSON). */
export interface RolloutStatsTable {
  rollout_id: number;
  step_index: number;
  replica: string;
  stats_json: string;
  updated_at: string;
}

export interface Database {
  rollout_stats: RolloutStatsTable;
}
