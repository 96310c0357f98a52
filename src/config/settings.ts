// The table of every setting: its key, type, default and one-line doc. The environment variable
// (MODELGATE_<KEY>) and the CLI flag (--<key>) are derived from the key, so they cannot drift apart.

export type SettingKind =
  | { type: 'string' }
  | { type: 'int'; min: number; max: number }
  | { type: 'number'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] };

export interface SettingDef {
  kind: SettingKind;
  default: string | number | boolean | undefined;
  doc: string;
  /** Secrets are never printed back, not even in validation errors. */
  secret?: boolean;
}

const int = (min: number, max: number): SettingKind => ({ type: 'int', min, max });
const str: SettingKind = { type: 'string' };
const bool: SettingKind = { type: 'bool' };

export const SETTINGS = {
  host: { kind: str, default: '0.0.0.0', doc: 'address the inference plane listens on' },
  port: { kind: int(0, 65535), default: 8080, doc: 'port of the inference plane (0 picks a free one)' },
  adminHost: { kind: str, default: '127.0.0.1', doc: 'address the admin plane listens on' },
  adminPort: { kind: int(0, 65535), default: 8081, doc: 'port of the admin plane (0 picks a free one)' },
  dataDir: { kind: str, default: './data', doc: 'directory for state: credentials, store, audit log' },
  databaseUrl: {
    kind: str,
    default: undefined,
    doc: 'PostgreSQL URL for a cluster (postgres://...); default: SQLite at <dataDir>/modelgate.db',
    secret: true,
  },
  databaseSchema: { kind: str, default: undefined, doc: 'PostgreSQL schema to use (default: the search_path)' },
  databasePoolSize: { kind: int(1, 1000), default: 10, doc: 'PostgreSQL connections per replica' },
  databaseStatementTimeoutMs: {
    kind: int(0, 86_400_000),
    default: 30_000,
    doc: 'PostgreSQL: a statement running longer fails (503) and frees its connection; 0 keeps the server\'s statement_timeout',
  },
  databaseLockTimeoutMs: {
    kind: int(0, 86_400_000),
    default: 10_000,
    doc: 'PostgreSQL: a statement waiting longer for a lock fails (503); 0 keeps the server\'s lock_timeout',
  },
  trustedKeys: {
    kind: str,
    default: undefined,
    doc: 'public keys whose package signatures are trusted: PEM files or folders, comma-separated; default <dataDir>/keys/trusted',
  },
  decryptionKeyDir: {
    kind: str,
    default: undefined,
    doc: 'folder of package decryption keys, one <keyId>.key file each; default <dataDir>/keys/decryption',
  },
  importDir: {
    kind: str,
    default: undefined,
    doc: 'folder of .mgpkg packages registered at start (it must exist); a model without a production version gets its first one',
  },
  registryPollMs: {
    kind: int(0, 3_600_000),
    default: 5000,
    doc: 'how often to pick up what other replicas changed (registry, endpoints, extraction levels and lifts), in milliseconds (0: never)',
  },
  rolloutTickMs: {
    kind: int(0, 3_600_000),
    default: 1000,
    doc: 'how often running canaries are analysed and advanced, in milliseconds (0: only on demand)',
  },
  modelRepository: {
    kind: str,
    default: undefined,
    doc: 'development only: folder of UNSIGNED models <name>/<version>/model.onnx (+ manifest.json); needs allowUnsigned',
  },
  allowUnsigned: {
    kind: bool,
    default: false,
    doc: 'accept the unsigned models of modelRepository (never in production)',
  },
  logLevel: {
    kind: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
    doc: 'log level',
  },
  bootstrapToken: {
    kind: str,
    default: undefined,
    doc: 'admin credential to use instead of generating one (at least 32 characters)',
    secret: true,
  },
  bootstrapTokenFile: {
    kind: str,
    default: undefined,
    doc: 'file holding the admin credential (a mounted secret); default <dataDir>/admin.token',
  },
  maxBodyBytes: { kind: int(1024, 1 << 30), default: 8 << 20, doc: 'largest request body accepted, in bytes' },
  maxPackageBytes: {
    kind: int(1024, 2 ** 31 - 1),
    default: 512 << 20,
    doc: 'largest package accepted by an upload to the admin plane, in bytes',
  },
  requestTimeoutMs: {
    kind: int(1, 3_600_000),
    default: 30_000,
    doc: 'a request still unanswered after this many milliseconds fails with 504',
  },
  shutdownGraceMs: {
    kind: int(0, 600_000),
    default: 10_000,
    doc: 'on SIGTERM, how long in-flight requests may take to finish before the server exits',
  },
  maxInFlight: {
    kind: int(1, 1_000_000),
    default: 4096,
    doc: 'requests processed at once on the inference plane; beyond it requests are shed with 503',
  },
  maxEventLoopDelayMs: {
    kind: int(0, 60_000),
    default: 1000,
    doc: 'shed load with 503 while the event loop lags more than this (0 disables)',
  },
  maxInFlightPerPrincipal: {
    kind: int(0, 1_000_000),
    default: 512,
    doc: 'requests one principal may have in flight on a plane; beyond it its requests get 429 at once (0: no cap)',
  },
  maxJsonDepth: { kind: int(2, 1000), default: 32, doc: 'deepest nesting of arrays and objects accepted in a JSON body; deeper bodies get 400' },
  maxTensorElements: { kind: int(1, 2 ** 31 - 1), default: 1 << 24, doc: 'most elements in one input tensor (text items count one each); more gets 400' },
  tlsCert: { kind: str, default: undefined, doc: 'PEM certificate (chain) file: serve the inference plane over HTTPS (with tlsKey)' },
  tlsKey: { kind: str, default: undefined, doc: 'PEM private key file of tlsCert (RSA 2048+ or EC P-256+); read at start, never logged' },
  adminTlsCert: { kind: str, default: undefined, doc: 'PEM certificate file of the admin plane; default: tlsCert' },
  adminTlsKey: { kind: str, default: undefined, doc: 'PEM private key file of adminTlsCert; default: tlsKey' },
  redisUrl: {
    kind: str,
    default: undefined,
    doc: 'Redis URL (redis://...) so replicas share rate-limit budgets; default: limits kept in memory',
    secret: true,
  },
  rateLimitsEnabled: { kind: bool, default: true, doc: 'enforce the rate limits of the rateLimits section' },
  extractionEnabled: { kind: bool, default: true, doc: 'watch each principal for model extraction and escalate (extraction section)' },
  oodMode: {
    kind: { type: 'enum', values: ['off', 'record', 'flag', 'reject'] },
    default: 'flag',
    doc: 'out-of-distribution inputs: off, record (metrics and audit), flag (also in the response) or reject (400)',
  },
  driftEnabled: { kind: bool, default: true, doc: 'compare live inputs and predictions with the packaged baseline' },
  auditEnabled: {
    kind: bool,
    default: true,
    doc: 'record every answered and refused request and every admin action in the hash-chained audit log',
  },
  auditFlushIntervalMs: {
    kind: { type: 'number', min: 0, max: 1000 },
    default: 0,
    doc: 'group commit: how long an audit record waits for others to share its transaction, in ms (0: until the event loop turns)',
  },
  auditCheckpointEvery: {
    kind: int(1, 10_000_000),
    default: 1000,
    doc: 'sign a checkpoint of the audit chain after this many records (and at least every minute)',
  },
  auditRetentionDays: {
    kind: int(0, 36_500),
    default: 0,
    doc: 'archive audit records older than this many days to auditArchiveDir, hourly (0: keep every record in the store)',
  },
  auditArchiveDir: {
    kind: str,
    default: undefined,
    doc: 'folder of audit archive files (a persistent volume in a cluster); default <dataDir>/audit-archive',
  },
  'batching.enabled': { kind: bool, default: true, doc: 'merge concurrent requests into one engine call' },
  'batching.maxBatchSize': { kind: int(1, 65_536), default: 64, doc: 'most rows merged into one engine call' },
  'batching.maxQueueDelayMs': {
    kind: { type: 'number', min: 0, max: 10_000 },
    default: 0,
    doc: 'how long a request may wait for others to join its batch, in milliseconds',
  },
  'batching.maxQueueSize': {
    kind: int(1, 1_000_000),
    default: 2048,
    doc: 'requests waiting per model; beyond it requests are refused at once with 503',
  },
  'batching.maxConcurrentBatches': {
    kind: int(1, 64),
    default: 1,
    doc: 'engine calls in flight per model version',
  },
  'runtime.intraOpThreads': { kind: int(0, 256), default: 1, doc: 'ONNX Runtime threads inside one operator (0: all cores)' },
  'runtime.interOpThreads': { kind: int(0, 256), default: 1, doc: 'ONNX Runtime threads across operators (0: all cores)' },
  'runtime.graphOptimizationLevel': {
    kind: { type: 'enum', values: ['disabled', 'basic', 'extended', 'all'] },
    default: 'all',
    doc: 'ONNX Runtime graph optimisation level',
  },
  'runtime.workers': {
    kind: int(1, 64),
    default: 1,
    doc: 'worker threads (one ONNX Runtime session each) per model version; the server thread stays free for I/O',
  },
  'runtime.warmup': { kind: bool, default: true, doc: 'run one inference on load so the first request is not slow' },
  'runtime.loneInlineMs': {
    kind: { type: 'number', min: 0, max: 100 },
    default: 2,
    doc: 'a request of one row that arrives while no other inference is in flight runs on the server thread, skipping two thread hand-offs, when one row of the model takes at most this many ms (graphs up to 1 MiB, a second session in memory; inputs up to 65,536 numbers or characters); 0: always the worker',
  },
} as const satisfies Record<string, SettingDef>;

export type SettingKey = keyof typeof SETTINGS;

/** `batching.maxBatchSize` -> `MODELGATE_BATCHING_MAX_BATCH_SIZE` */
export function envName(key: string): string {
  return `MODELGATE_${key.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** `batching.maxBatchSize` -> `--batching-max-batch-size` */
export function flagName(key: string): string {
  return `--${key.replace(/\./g, '-').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
}
