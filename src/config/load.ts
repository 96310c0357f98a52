// Loads settings once at start from defaults < config file < environment < CLI flags, validates
// every value with a message naming its source, and returns a frozen object passed in explicitly.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileReason, ModelGateError } from '../errors.ts';
import { envName, flagName, SETTINGS, type SettingDef, type SettingKey } from './settings.ts';
import { SECTION_KEYS, sectionsSchema } from './sections.ts';
import { modelOverridesSchema, type Config } from './types.ts';

export interface LoadOptions {
  /** Path of a JSON config file; also read from MODELGATE_CONFIG. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from CLI flags, keyed by setting key. */
  flags?: Partial<Record<SettingKey, unknown>>;
  cwd?: string;
}

const PATH_KEYS = new Set<string>([
  'dataDir', 'modelRepository', 'bootstrapTokenFile', 'decryptionKeyDir', 'importDir', 'tlsCert', 'tlsKey', 'adminTlsCert', 'adminTlsKey', 'auditArchiveDir',
]);

function invalid(message: string): ModelGateError {
  return new ModelGateError('MG_CONFIG_INVALID', message);
}

function coerce(key: string, def: SettingDef, raw: unknown, source: string): string | number | boolean {
  const shown = def.secret ? '(hidden)' : JSON.stringify(raw);
  const kind = def.kind;
  switch (kind.type) {
    case 'string':
      if (typeof raw !== 'string' || raw.length === 0) throw invalid(`${source}: expected a non-empty string, got ${shown}`);
      return raw;
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw invalid(`${source}: expected true or false, got ${shown}`);
    case 'enum':
      if (typeof raw === 'string' && kind.values.includes(raw)) return raw;
      throw invalid(`${source}: expected one of ${kind.values.join(', ')}, got ${shown}`);
    case 'int':
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      const whole = kind.type === 'int';
      if (!Number.isFinite(n) || (whole && !Number.isInteger(n)) || n < kind.min || n > kind.max) {
        const what = whole ? 'an integer' : 'a number';
        throw invalid(`${source}: expected ${what} from ${kind.min} to ${kind.max}, got ${shown}`);
      }
      return n;
    }
  }
}

function readFileSettings(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = fileReason(err) ?? (err as NodeJS.ErrnoException).code;
    throw invalid(`config file ${file} cannot be read${why ? `: ${why}` : ''}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw invalid(`config file ${file} is not a JSON object: ${(err as Error).message}`);
  }
}

function lookup(obj: Record<string, unknown>, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function assign(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) cur = (cur[part] ??= {}) as Record<string, unknown>;
  cur[parts[parts.length - 1]] = value;
}

/** Names unknown keys in the config file, so a typo is not silently ignored. */
function checkUnknownKeys(fileValues: Record<string, unknown>, file: string): void {
  const known = new Set(Object.keys(SETTINGS));
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (key === 'models' || (SECTION_KEYS as string[]).includes(key)) continue;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !known.has(key)) walk(v as Record<string, unknown>, key);
      else if (!known.has(key)) throw invalid(`config file ${file}: unknown setting '${key}'`);
    }
  };
  walk(fileValues, '');
}

/** Sections (and `models`) can come whole from an environment variable holding their JSON, which
 * replaces the file's: e.g. MODELGATE_RATE_LIMITS='{"perPrincipal":null}'. */
export const SECTION_ENV_KEYS: readonly string[] = [...SECTION_KEYS, 'models'];

function sectionFromEnv(env: NodeJS.ProcessEnv, key: string): { value: unknown; source: string } | undefined {
  const name = envName(key);
  const raw = env[name];
  if (raw === undefined) return undefined;
  try {
    return { value: JSON.parse(raw) as unknown, source: `environment variable ${name}` };
  } catch {
    // The value is not echoed: a section may hold a secret (a webhook token, an issuer's key).
    throw invalid(`environment variable ${name} must hold the '${key}' section as JSON; it is not valid JSON`);
  }
}

/** Read by the admin CLI (admin-client.ts) and the error printer (cli/index.ts), not by settings. */
const CLI_VARIABLES = ['MODELGATE_CONFIG', 'MODELGATE_TOKEN', 'MODELGATE_ADMIN_URL', 'MODELGATE_DEBUG'];

/** MODELGATE_* variables nothing reads: a typo, or Kubernetes service links (see below). `also`: names
 * the settings themselves point at, such as a webhook's secretEnv. */
function unknownEnvironment(env: NodeJS.ProcessEnv, also: readonly string[]): string[] {
  const known = new Set([...CLI_VARIABLES, ...also, ...Object.keys(SETTINGS).map(envName), ...SECTION_ENV_KEYS.map(envName)]);
  const unknown = Object.keys(env).filter((k) => k.startsWith('MODELGATE_') && !known.has(k)).sort();
  if (unknown.length === 0) return [];
  const links = unknown.some((k) => /^MODELGATE_(SERVICE_HOST|SERVICE_PORT|PORT_\d+_)/.test(k));
  return [
    `environment variables no setting reads, ignored: ${unknown.join(', ')}` +
      (links ? '; these look like Kubernetes service links of a Service named modelgate (set enableServiceLinks: false in the pod spec)' : ''),
  ];
}

/** Kubernetes sets MODELGATE_PORT=tcp://<ip>:<port> for a Service named modelgate. */
function hint(name: string, raw: unknown): string {
  return typeof raw === 'string' && /^tcp:\/\//.test(raw)
    ? ` (${name} looks like a Kubernetes service link of a Service named modelgate: set enableServiceLinks: false in the pod spec)`
    : '';
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fileArg = options.file ?? env.MODELGATE_CONFIG;
  const file = fileArg ? resolve(cwd, fileArg) : undefined;
  const fileValues = file ? readFileSettings(file) : {};
  if (file) checkUnknownKeys(fileValues, file);

  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(SETTINGS) as [SettingKey, SettingDef][]) {
    const sources: [unknown, string, string][] = [
      // Each source named as the user wrote it: the flag, the variable, the file's key.
      [options.flags?.[key], `option ${flagName(key)}`, cwd],
      [env[envName(key)], `environment variable ${envName(key)}`, cwd],
      [lookup(fileValues, key), `config file setting '${key}'`, file ? dirname(file) : cwd],
    ];
    const found = sources.find(([v]) => v !== undefined);
    let value: unknown = def.default;
    if (found) {
      try {
        value = coerce(key, def, found[0], found[1]);
      } catch (err) {
        if (found[0] !== env[envName(key)]) throw err;
        throw invalid(`${(err as Error).message}${hint(envName(key), found[0])}`);
      }
      if (PATH_KEYS.has(key) && typeof value === 'string' && !isAbsolute(value)) value = resolve(found[2], value);
      // A list of paths, comma-separated, each relative to where it was written.
      if (key === 'trustedKeys' && typeof value === 'string') value = value.split(',').map((p) => p.trim()).filter(Boolean).map((p) => resolve(found[2], p));
    } else if (PATH_KEYS.has(key) && typeof value === 'string') {
      value = resolve(cwd, value);
    }
    if (value !== undefined) assign(out, key, value);
  }
  if (typeof out.bootstrapToken === 'string' && out.bootstrapToken.length < 32) {
    throw invalid('MODELGATE_BOOTSTRAP_TOKEN must be at least 32 characters long');
  }
  if (out.modelRepository !== undefined && out.allowUnsigned !== true) {
    throw invalid('modelRepository serves unsigned models: set allowUnsigned=true to accept that (development only), or package the models and use importDir');
  }
  const fromEnv = new Map(SECTION_ENV_KEYS.map((k) => [k, sectionFromEnv(env, k)] as const).filter(([, v]) => v !== undefined));
  const section = (k: string) => (fromEnv.has(k) ? fromEnv.get(k)!.value : fileValues[k]);
  const where = (k: string) => fromEnv.get(k)?.source ?? 'config file setting';
  const models = modelOverridesSchema.safeParse(section('models') ?? {});
  if (!models.success) {
    const issue = models.error.issues[0];
    throw invalid(`${where('models')} 'models.${issue.path.join('.')}': ${issue.message}`);
  }
  out.models = models.data;
  const sections = sectionsSchema.safeParse(Object.fromEntries(SECTION_KEYS.map((k) => [k, section(k)])));
  if (!sections.success) {
    const issue = sections.error.issues[0];
    throw invalid(`${where(String(issue.path[0]))} '${issue.path.join('.')}': ${issue.message}`);
  }
  Object.assign(out, sections.data);
  out.configFile = file;
  out.warnings = unknownEnvironment(env, sections.data.alerts.webhooks.flatMap((w) => (w.secretEnv ? [w.secretEnv] : [])));
  return deepFreeze(out) as unknown as Config;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
