// Public surface of the versioned registry: the VersionRegistry service and its record types.
// See docs/registry.md for stages, aliases and the promote/rollback rules.
export { VersionRegistry, type VersionRegistryOptions } from './registry.ts';
export {
  ALIAS_PATTERN, PRODUCTION_ALIAS, STAGES, STAGING_ALIAS,
  type DeleteOptions, type HistoryAction, type HistoryEntry, type HistoryState, type Model, type ModelVersion,
  type RegisterInput, type RegisterResult, type Stage,
} from './types.ts';
