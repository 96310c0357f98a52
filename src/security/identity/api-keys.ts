// API keys: created by an admin and shown once, stored as a salted scrypt hash, revocable, with an
// optional expiry. Verification is parse -> look up the id -> scrypt and constant-time compare ->
// revoked/expired; positive results are cached (see cache.ts) because scrypt costs milliseconds.
import { ModelGateError } from '../../errors.ts';
import { isUniqueViolation, lockRows, type Store } from '../../store/index.ts';
import type { Principal, Role } from '../principal.ts';
import { cacheKey, VerificationCache } from './cache.ts';
import { dummyHash, hashSecret, verifySecret } from './hashing.ts';
import { formatKey, KEY_ID_PATTERN, newKeyId, newSecret, parseKey } from './key-format.ts';
import { statusOf, toPrincipal, toRecord, type ApiKeyRecord, type ApiKeyRow } from './records.ts';
import { checkScope } from './scopes.ts';
import { apiKeySettingsSchema, type ApiKeySettings } from './settings.ts';

export interface CreateApiKeyInput {
  name: string;
  roles: readonly Role[];
  /** Required for a predictor: model names, or ['*'] for every model. */
  models?: readonly string[];
  expiresAt?: Date | string;
  /** Principal id of the admin creating it, recorded as created_by. */
  actor: string;
}

export interface CreatedApiKey {
  /** The full key, mg_<id>_<secret>. Shown once: only its hash is stored. */
  key: string;
  record: ApiKeyRecord;
}

export interface ApiKeyServiceOptions {
  settings?: Partial<ApiKeySettings>;
  /** Epoch milliseconds; tests move it to expire keys and cache entries. */
  now?: () => number;
}

const invalid = (message: string) => new ModelGateError('MG_INVALID_REQUEST', message);

export class ApiKeyService {
  private readonly settings: ApiKeySettings;
  private readonly now: () => number;
  private readonly cache: VerificationCache;
  private readonly dummy: string;
  // Bumped by every revoke, so a verification that read the row before a revoke finished cannot
  // put the revoked key back into the cache.
  private revocations = 0;

  constructor(
    private readonly store: Store,
    options: ApiKeyServiceOptions = {},
  ) {
    this.settings = apiKeySettingsSchema.parse(options.settings ?? {});
    this.now = options.now ?? Date.now;
    this.cache = new VerificationCache(this.settings.cacheTtlMs, this.settings.cacheMax, this.now);
    this.dummy = dummyHash(this.settings.scrypt);
  }

  async create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100 || /[\p{Cc}]/u.test(name)) throw invalid('name must be 1 to 100 printable characters');
    const scope = checkScope(input.roles, input.models);
    let expiresAt: string | null = null;
    if (input.expiresAt !== undefined) {
      const t = input.expiresAt instanceof Date ? input.expiresAt.getTime() : Date.parse(input.expiresAt);
      if (!Number.isFinite(t)) throw invalid('expiresAt is not a date (use ISO 8601, e.g. 2030-01-31T00:00:00Z)');
      if (t <= this.now()) throw invalid('expiresAt is in the past');
      expiresAt = new Date(t).toISOString();
    }
    const secret = newSecret();
    const secretHash = await hashSecret(secret, this.settings.scrypt);
    // 60 random bits make a collision unlikely, not impossible: draw again rather than fail.
    for (let attempt = 0; ; attempt++) {
      const row: ApiKeyRow = {
        id: newKeyId(),
        name,
        secret_hash: secretHash,
        roles_json: JSON.stringify(scope.roles),
        models_json: scope.models === null ? null : JSON.stringify(scope.models),
        created_at: new Date(this.now()).toISOString(),
        created_by: input.actor,
        expires_at: expiresAt,
        revoked_at: null,
        revoked_by: null,
        last_used_at: null,
      };
      try {
        await this.store.db.insertInto('api_keys').values(row).execute();
        return { key: formatKey(row.id, secret), record: toRecord(row, this.now()) };
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 3) throw err;
      }
    }
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.store.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => toRecord(r, this.now()));
  }

  async get(id: string): Promise<ApiKeyRecord> {
    return toRecord(await this.row(id), this.now());
  }

  /** Revokes at once in this process; other replicas stop accepting the key within cacheTtlMs.
   * Revoking a revoked key changes nothing and returns it as it is. */
  async revoke(id: string, actor: string): Promise<ApiKeyRecord> {
    this.revocations++;
    const row = await this.store.transaction(async (trx) => {
      const found = await lockRows(this.store.dialect, trx.selectFrom('api_keys').selectAll().where('id', '=', id)).executeTakeFirst();
      if (!found) throw notFound(id);
      if (found.revoked_at !== null) return found;
      const revoked = { revoked_at: new Date(this.now()).toISOString(), revoked_by: actor };
      await trx.updateTable('api_keys').set(revoked).where('id', '=', id).execute();
      return { ...found, ...revoked };
    });
    // Bumped again after the commit: a verification that read the row during the transaction
    // started under the first bump, and must not cache either.
    this.revocations++;
    this.cache.invalidate(id);
    return toRecord(row, this.now());
  }

  /** The principal of a valid, unrevoked, unexpired key; undefined for anything else. Throws only
   * when the store fails, which is not the caller's fault. */
  async authenticate(credential: string | undefined): Promise<Principal | undefined> {
    if (!credential) return undefined;
    const parsed = parseKey(credential);
    if (!parsed) return undefined;
    const digest = cacheKey(credential);
    const cached = this.cache.get(digest);
    if (cached) return cached;

    const epoch = this.revocations;
    const row = await this.store.db.selectFrom('api_keys').selectAll().where('id', '=', parsed.id).executeTakeFirst();
    // An unknown id still pays for one scrypt, so timing does not reveal which ids exist.
    const matches = await verifySecret(parsed.secret, row?.secret_hash ?? this.dummy);
    if (!row || !matches) return undefined;
    const now = this.now();
    if (statusOf(row, now) !== 'active') return undefined;

    const principal = toPrincipal(toRecord(row, now));
    if (epoch === this.revocations) {
      this.cache.set(digest, row.id, principal, row.expires_at === null ? undefined : Date.parse(row.expires_at));
    }
    await this.touch(row, now);
    return principal;
  }

  /** Entries in the verification cache (for metrics and tests). */
  get cachedKeys(): number {
    return this.cache.size;
  }

  private async touch(row: ApiKeyRow, now: number): Promise<void> {
    if (row.last_used_at !== null && Date.parse(row.last_used_at) > now - this.settings.lastUsedResolutionMs) return;
    try {
      await this.store.db.updateTable('api_keys').set({ last_used_at: new Date(now).toISOString() }).where('id', '=', row.id).execute();
    } catch {
      // Bookkeeping only: a failed write must not refuse a valid key.
    }
  }

  private async row(id: string): Promise<ApiKeyRow> {
    if (!KEY_ID_PATTERN.test(id)) throw notFound(id);
    const row = await this.store.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(id);
    return row;
  }
}

const notFound = (id: string) => new ModelGateError('MG_NOT_FOUND', `no API key with id '${id.slice(0, 40)}'`);
