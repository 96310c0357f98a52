// The validated, frozen settings the server runs with, and the per-model overrides of the config file.
import { z } from 'zod';
import { perModelSchema, type Sections } from './sections.ts';

export interface BatchingConfig {
  enabled: boolean;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize: number;
  maxConcurrentBatches: number;
}

export interface RuntimeConfig {
  intraOpThreads: number;
  interOpThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  warmup: boolean;
  workers: number;
  /** See `runtime.loneInlineMs`: 0 turns the lone-request path off. */
  loneInlineMs: number;
}

const batchingOverride = z
  .object({
    enabled: z.boolean(),
    maxBatchSize: z.number().int().min(1).max(65_536),
    maxQueueDelayMs: z.number().min(0).max(10_000),
    maxQueueSize: z.number().int().min(1).max(1_000_000),
    maxConcurrentBatches: z.number().int().min(1).max(64),
  })
  .partial()
  .strict();

const runtimeOverride = z
  .object({
    intraOpThreads: z.number().int().min(0).max(256),
    interOpThreads: z.number().int().min(0).max(256),
    graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']),
    warmup: z.boolean(),
    workers: z.number().int().min(1).max(64),
    loneInlineMs: z.number().min(0).max(100),
  })
  .partial()
  .strict();

/** `models` in the config file: per-model batching and runtime settings over the global ones. */
export const modelOverridesSchema = z.record(
  z.string(),
  z.object({ batching: batchingOverride.optional(), runtime: runtimeOverride.optional() }).extend(perModelSchema.shape).strict(),
);
export type ModelOverrides = z.infer<typeof modelOverridesSchema>;

export interface Config extends Sections {
  host: string;
  port: number;
  adminHost: string;
  adminPort: number;
  dataDir: string;
  databaseUrl?: string;
  databaseSchema?: string;
  databasePoolSize: number;
  databaseStatementTimeoutMs: number;
  databaseLockTimeoutMs: number;
  /** Resolved paths of trusted public keys (files or folders). */
  trustedKeys?: string[];
  decryptionKeyDir?: string;
  importDir?: string;
  registryPollMs: number;
  rolloutTickMs: number;
  modelRepository?: string;
  allowUnsigned: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bootstrapToken?: string;
  bootstrapTokenFile?: string;
  maxBodyBytes: number;
  maxPackageBytes: number;
  requestTimeoutMs: number;
  shutdownGraceMs: number;
  maxInFlight: number;
  maxEventLoopDelayMs: number;
  maxInFlightPerPrincipal: number;
  maxJsonDepth: number;
  maxTensorElements: number;
  /** Certificate and key files; both planes serve HTTPS when set (src/http/tls.ts checks them). */
  tlsCert?: string;
  tlsKey?: string;
  adminTlsCert?: string;
  adminTlsKey?: string;
  redisUrl?: string;
  rateLimitsEnabled: boolean;
  extractionEnabled: boolean;
  oodMode: 'off' | 'record' | 'flag' | 'reject';
  driftEnabled: boolean;
  auditEnabled: boolean;
  auditFlushIntervalMs: number;
  auditCheckpointEvery: number;
  auditRetentionDays: number;
  auditArchiveDir?: string;
  batching: BatchingConfig;
  runtime: RuntimeConfig;
  models: ModelOverrides;
  configFile?: string;
  /** Said once at start (the log): environment variables named MODELGATE_* that no setting reads. */
  warnings: string[];
}

/** The batching and runtime settings that apply to one model. */
export function settingsForModel(config: Config, model: string): { batching: BatchingConfig; runtime: RuntimeConfig } {
  const o = config.models[model];
  return {
    batching: { ...config.batching, ...o?.batching },
    runtime: { ...config.runtime, ...o?.runtime },
  };
}
