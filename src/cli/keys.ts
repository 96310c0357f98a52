// `modelgate keys`: create, list, show and revoke API keys through the admin plane's HTTP API, like
// the registry commands. A new key goes to stdout alone (so `> ci.key` captures it), the warning
// to store it to stderr; it is never shown again.
import { Command, Option } from 'commander';
import { ModelGateError } from '../errors.ts';
import { ROLES } from '../security/principal.ts';
import { call, columns, jsonClient, print, type ClientOptions } from './admin-client.ts';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const stdio: CliIo = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

interface KeyRecord {
  id: string;
  name: string;
  roles: string[];
  models: string[] | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  status: string;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30d`, `12h`, `90m`, `2w` from now, or an ISO 8601 date. */
export function parseExpiry(value: string, now = Date.now()): string {
  const m = /^(\d{1,6})([mhdw])$/.exec(value.trim());
  if (m) return new Date(now + Number(m[1]) * UNITS[m[2]]).toISOString();
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw new ModelGateError('MG_INVALID_REQUEST', `--expires ${JSON.stringify(value)}: use a duration (30d, 12h, 90m, 2w) or an ISO date`);
  return new Date(t).toISOString();
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

/** --role values, checked here against the roles the server knows so a typo is refused with the list
 * (the server's own refusal names a JSON schema path, not the roles). */
const collectRoles = (value: string, previous: string[] = []): string[] => {
  const roles = collect(value);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) {
    throw new ModelGateError('MG_INVALID_REQUEST', `--role: unknown role ${unknown.map((r) => `'${r}'`).join(', ')}; the roles are ${ROLES.join(', ')}`);
  }
  return [...previous, ...roles];
};
const seg = encodeURIComponent;

function table(keys: KeyRecord[]): string {
  const rows = [['ID', 'NAME', 'ROLES', 'MODELS', 'STATUS', 'EXPIRES', 'LAST USED']];
  for (const k of keys) {
    rows.push([k.id, k.name, k.roles.join(','), k.models?.join(',') ?? '-', k.status, k.expiresAt ?? 'never', k.lastUsedAt ?? 'never']);
  }
  return columns(rows);
}

export function keysCommand(io: CliIo = stdio): Command {
  type Create = ClientOptions & { name: string; role: string[]; model?: string[]; expires?: string; json?: boolean };
  const create = jsonClient('create', 'create an API key; it is printed once, store it then')
    .requiredOption('--name <name>', 'what the key is for (shown in lists and logs)')
    .addOption(new Option('--role <role>', `a role, repeatable: ${ROLES.join(', ')}`).argParser(collectRoles).makeOptionMandatory())
    .option('--model <name>', "a model a predictor may call, repeatable; '*' for every model", collect)
    .option('--expires <when>', 'expiry: a duration (30d, 12h, 90m, 2w) or an ISO date; default never')
    .action(async (o: Create) => {
      const body = { name: o.name, roles: o.role, models: o.model, expiresAt: o.expires === undefined ? undefined : parseExpiry(o.expires) };
      const res = await call<{ key: string; warning: string; record: KeyRecord }>(o, 'POST', '/admin/keys', body);
      if (o.json) return print(res, io.out);
      io.err(`${res.warning}\nkey id ${res.record.id} (${res.record.name}): roles ${res.record.roles.join(',')}` +
        `${res.record.models ? `, models ${res.record.models.join(',')}` : ''}, expires ${res.record.expiresAt ?? 'never'}\n`);
      io.out(`${res.key}\n`);
    });

  const list = jsonClient('list', 'list API keys (ids, names, roles, scopes, status; never secrets)')
    .action(async (o: ClientOptions & { json?: boolean }) => {
      const res = await call<{ keys: KeyRecord[] }>(o, 'GET', '/admin/keys');
      if (o.json) print(res, io.out);
      else io.out(table(res.keys));
    });

  const show = jsonClient('show', 'show one API key')
    .argument('<id>', 'the key id (the part after mg_)')
    .action(async (id: string, o: ClientOptions) => print(await call(o, 'GET', `/admin/keys/${seg(id)}`), io.out));

  const revoke = jsonClient('revoke', 'revoke an API key: refused at once by this server, by other replicas within the cache TTL')
    .argument('<id>', 'the key id (the part after mg_)')
    .action(async (id: string, o: ClientOptions & { json?: boolean }) => {
      const res = await call<{ key: KeyRecord }>(o, 'DELETE', `/admin/keys/${seg(id)}`);
      if (o.json) print(res, io.out);
      else io.out(`revoked ${res.key.id} (${res.key.name})\n`);
    });

  return new Command('keys').description('manage API keys').addCommand(create).addCommand(list).addCommand(show).addCommand(revoke);
}
