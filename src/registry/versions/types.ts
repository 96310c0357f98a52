// The registry's records and the options of its operations: models, versions, stages, aliases
// and the history of changes. Plain data, safe to serialise as JSON.
import type { Manifest } from '../manifest.ts';
import type { PackageCheck, TrustStore } from '../package/index.ts';

/** registered -> staging -> production -> (staging on demotion) ... -> archived. See docs/registry.md. */
export const STAGES = ['registered', 'staging', 'production', 'archived'] as const;
export type Stage = (typeof STAGES)[number];

/** Alias names: short, lower-case, URL- and label-safe. */
export const ALIAS_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** The alias that means "serve this one"; setting it promotes. */
export const PRODUCTION_ALIAS = 'production';
/** Setting this alias moves a registered version to the staging stage. */
export const STAGING_ALIAS = 'staging';

export interface ModelVersion {
  name: string;
  version: string;
  /** SHA-256 of the package file, which is also its blob store address. */
  packageSha256: string;
  packageSize: number;
  signerKeyId: string;
  manifest: Manifest;
  /** The verify report's checks at registration (all passed, or skipped for a stated reason). */
  validation: PackageCheck[];
  stage: Stage;
  /** Aliases pointing at this version, sorted. */
  aliases: string[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export interface Model {
  name: string;
  /** Alias -> version. */
  aliases: Readonly<Record<string, string>>;
  /** Every version, in version order (numeric-aware: 1.10 after 1.9). */
  versions: string[];
  productionVersion: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export type HistoryAction = 'register' | 'set-alias' | 'remove-alias' | 'promote' | 'rollback' | 'archive' | 'delete';

/** What a change touched, before or after it: e.g. {alias: 'staging', version: '2'}. */
export type HistoryState = Readonly<Record<string, string | null>>;

export interface HistoryEntry {
  /** Increasing in the order the changes committed. */
  id: number;
  model: string;
  version: string | null;
  action: HistoryAction;
  actor: string;
  at: string;
  before: HistoryState | null;
  after: HistoryState | null;
  reason: string | null;
}

export interface RegisterInput {
  /** The .mgpkg file. */
  bytes: Buffer;
  /** Principal id of whoever registers it. */
  actor: string;
  trustedKeys: TrustStore;
  decryptionKeys?: ReadonlyMap<string, Uint8Array>;
  reason?: string;
}

export interface RegisterResult {
  version: ModelVersion;
  /** False when the same name, version and bytes were already registered (nothing changed). */
  created: boolean;
}

export interface DeleteOptions {
  /** Asked before deleting: a version that takes traffic (routing knows) is never deleted. */
  isServing: (name: string, version: string) => boolean | Promise<boolean>;
  /** Whether it serves here only because the production version that should replace it cannot load. */
  isKept?: (name: string, version: string) => boolean;
  reason?: string;
}
