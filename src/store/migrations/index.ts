// The ordered list of every migration. To add one: write NNN-what.ts exporting a Migration with
// the next id, append it here, and add its row types to ../schema.ts.
import { registryVersions } from './001-registry-versions.ts';
import { auditLog } from './002-audit-log.ts';
import { servedVersions } from './003-served-versions.ts';
import { alerts } from './004-alerts.ts';
import { apiKeys } from './005-api-keys.ts';
import { endpoints } from './006-endpoints.ts';
import { extractionLevels } from './007-extraction-levels.ts';
import { feedbackLabels } from './008-feedback-labels.ts';
import { blobs } from './009-blobs.ts';
import { rolloutStats } from './010-rollout-stats.ts';
import type { Migration } from './types.ts';

export const MIGRATIONS: readonly Migration[] = [registryVersions, auditLog, servedVersions, alerts, apiKeys, endpoints, extractionLevels, feedbackLabels, blobs, rolloutStats];

export { autoIncrementType, type Migration } from './types.ts';
