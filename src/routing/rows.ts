// Row access for the controller: endpoints, rollouts and events, mapped to records. Every function
// takes the handle it runs on (the store's db or a transaction), so operations compose atomically.
import type { Kysely, Selectable } from 'kysely';
import { ModelGateError } from '../errors.ts';
import { lockRows, type Database, type EndpointsTable, type RolloutsTable, type StoreDialect } from '../store/index.ts';
import { parsePolicy } from './policy-schema.ts';
import { LIVE_STATES, type EventAction, type EventDetail, type Rollout, type RolloutEvent, type RolloutKind, type RolloutSettings, type RolloutState } from './records.ts';
import type { StatsSnapshot } from './stats.ts';
import type { Policy } from './types.ts';

export type Db = Kysely<Database>;
export type EndpointRow = Selectable<EndpointsTable>;
export type RolloutRow = Selectable<RolloutsTable>;

export interface EndpointRecord {
  name: string;
  policy: Policy;
  revision: number;
  updatedAt: string;
  updatedBy: string;
}

export function toEndpoint(row: EndpointRow): EndpointRecord {
  return { name: row.name, policy: parsePolicy(JSON.parse(row.policy_json)), revision: Number(row.revision), updatedAt: row.updated_at, updatedBy: row.updated_by };
}

export function toRollout(row: RolloutRow): Rollout {
  return {
    id: Number(row.id),
    endpoint: row.endpoint,
    kind: row.kind as RolloutKind,
    state: row.state as RolloutState,
    stepIndex: Number(row.step_index),
    stepStartedAt: row.step_started_at,
    settings: JSON.parse(row.config_json) as RolloutSettings,
    startedAt: row.started_at,
    startedBy: row.started_by,
    updatedAt: row.updated_at,
    endedAt: row.ended_at,
    endReason: row.end_reason,
  };
}

export function statsOf(row: RolloutRow): { stats: StatsSnapshot | null; baseline: StatsSnapshot[string] | null } {
  return {
    stats: row.stats_json ? (JSON.parse(row.stats_json) as StatsSnapshot) : null,
    baseline: row.baseline_json ? (JSON.parse(row.baseline_json) as StatsSnapshot[string]) : null,
  };
}

/** Reads the endpoint row, locked on PostgreSQL (SQLite transactions already hold the write lock). */
export async function lockEndpoint(dialect: StoreDialect, trx: Db, name: string): Promise<EndpointRecord | undefined> {
  const row = await lockRows(dialect, trx.selectFrom('endpoints').selectAll().where('name', '=', name)).executeTakeFirst();
  return row ? toEndpoint(row) : undefined;
}

export async function liveRollout(db: Db, endpoint: string): Promise<RolloutRow | undefined> {
  return db.selectFrom('rollouts').selectAll().where('endpoint', '=', endpoint).where('state', 'in', [...LIVE_STATES]).executeTakeFirst();
}

export async function latestRollout(db: Db, endpoint: string): Promise<RolloutRow | undefined> {
  return db.selectFrom('rollouts').selectAll().where('endpoint', '=', endpoint).orderBy('id', 'desc').limit(1).executeTakeFirst();
}

export async function insertEndpoint(trx: Db, name: string, policy: Policy, actor: string, at: string): Promise<void> {
  await trx.insertInto('endpoints').values({ name, policy_json: JSON.stringify(policy), revision: 1, created_at: at, created_by: actor, updated_at: at, updated_by: actor }).execute();
}

export async function writePolicy(trx: Db, name: string, policy: Policy, actor: string, at: string): Promise<void> {
  await trx
    .updateTable('endpoints')
    .set((eb) => ({ policy_json: JSON.stringify(policy), revision: eb('revision', '+', 1), updated_at: at, updated_by: actor }))
    .where('name', '=', name)
    .execute();
}

export async function recordEvent(
  trx: Db,
  event: { endpoint: string; rolloutId: number | null; at: string; actor: string; action: EventAction; automatic: boolean; reason: string | null; detail?: EventDetail },
): Promise<void> {
  await trx
    .insertInto('rollout_events')
    .values({
      endpoint: event.endpoint, rollout_id: event.rolloutId, at: event.at, actor: event.actor, action: event.action,
      automatic: event.automatic ? 1 : 0, reason: event.reason, detail_json: event.detail ? JSON.stringify(event.detail) : null,
    })
    .execute();
}

export function toEvent(row: Selectable<Database['rollout_events']>): RolloutEvent {
  return {
    id: Number(row.id),
    endpoint: row.endpoint,
    rolloutId: row.rollout_id === null ? null : Number(row.rollout_id),
    at: row.at,
    actor: row.actor,
    action: row.action as EventAction,
    automatic: Number(row.automatic) === 1,
    reason: row.reason,
    detail: row.detail_json ? (JSON.parse(row.detail_json) as EventDetail) : null,
  };
}

export function checkActor(actor: string): void {
  if (typeof actor !== 'string' || actor.length === 0 || actor.length > 200) {
    throw new ModelGateError('MG_INVALID_REQUEST', 'every routing change needs an actor (who asked), 1 to 200 characters');
  }
}

export function conflict(message: string): ModelGateError {
  return new ModelGateError('MG_CONFLICT', message);
}

export function notFound(endpoint: string): ModelGateError {
  return new ModelGateError('MG_NOT_FOUND', `endpoint '${endpoint}' does not exist`);
}
