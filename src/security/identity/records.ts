// What the admin plane may see of an API key: everything but the secret and its hash. Row <-> record
// conversion lives here so no other code reads secret_hash by accident.
import type { ApiKeysTable } from '../../store/index.ts';
import type { Principal, Role } from '../principal.ts';
import { principalModels } from './scopes.ts';

export type ApiKeyStatus = 'active' | 'revoked' | 'expired';

export interface ApiKeyRecord {
  /** The public key id: the middle part of mg_<id>_<secret>. */
  id: string;
  name: string;
  roles: Role[];
  /** Model names, ['*'] for every model, or null when the roles carry no scope. */
  models: string[] | null;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  /** Updated lazily: at most once per lastUsedResolutionMs, and only when the cache is missed. */
  lastUsedAt: string | null;
  status: ApiKeyStatus;
}

export type ApiKeyRow = ApiKeysTable;

export function statusOf(row: Pick<ApiKeyRow, 'revoked_at' | 'expires_at'>, now: number): ApiKeyStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && Date.parse(row.expires_at) <= now) return 'expired';
  return 'active';
}

export function toRecord(row: ApiKeyRow, now: number): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    roles: JSON.parse(row.roles_json) as Role[],
    models: row.models_json === null ? null : (JSON.parse(row.models_json) as string[]),
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
    lastUsedAt: row.last_used_at,
    status: statusOf(row, now),
  };
}

export function toPrincipal(record: Pick<ApiKeyRecord, 'id' | 'roles' | 'models'>): Principal {
  const models = principalModels(record.models);
  return Object.freeze({
    id: `key:${record.id}`,
    kind: 'api-key' as const,
    roles: Object.freeze([...record.roles]),
    ...(models === undefined ? {} : { models }),
  });
}
