// What the registry commands print by default: a few lines a person reads (which version, its stage,
// aliases, digest, what the server loaded or could not), instead of the whole version record, whose
// manifest baseline and vocabulary run to thousands of lines. `--json` prints the record as it is.
import { columns } from './admin-client.ts';

interface Tensor {
  name: string;
  datatype: string;
  shape: number[];
}

export interface VersionView {
  name: string;
  version: string;
  stage: string;
  aliases: string[];
  loaded?: boolean;
  packageSha256: string;
  signerKeyId: string;
  createdAt: string;
  createdBy: string;
  validation?: { name: string; status: string; detail: string }[];
  manifest?: {
    description?: string;
    author?: string;
    createdAt?: string;
    labels?: string[];
    inputs?: Tensor[];
    outputs?: Tensor[];
    encryption?: { keyId: string };
  };
}

export interface ServingView {
  loaded: string[];
  unloaded: string[];
  failed?: { name: string; version: string; reason: string }[];
  kept?: string[];
}

/** Server-given text (an actor comes from a token's subject) never reaches the terminal raw. */
const safe = (s: unknown): string => String(s).replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
const list = (xs: readonly string[] | undefined): string => (xs && xs.length > 0 ? xs.map(safe).join(', ') : '-');

/** Two lines on a version: where it stands, and what it is. */
export function versionLines(v: VersionView): string[] {
  const loaded = v.loaded === undefined ? '' : v.loaded ? ', loaded' : ', not loaded';
  return [
    `  stage ${safe(v.stage)}, aliases ${list(v.aliases)}${loaded}`,
    `  sha256 ${safe(v.packageSha256)}, signed by ${safe(v.signerKeyId)}`,
  ];
}

/** What the server loaded and unloaded after the change, and every version it could not load, with why. */
export function servingLines(r: ServingView | undefined): string[] {
  if (!r) return [];
  const lines: string[] = [];
  const failed = r.failed ?? [];
  const kept = r.kept ?? [];
  if (r.loaded.length === 0 && r.unloaded.length === 0 && failed.length === 0 && kept.length === 0) return ['serving: no change'];
  if (r.loaded.length > 0) lines.push(`serving: loaded ${list(r.loaded)}`);
  if (r.unloaded.length > 0) lines.push(`serving: unloaded ${list(r.unloaded)}`);
  for (const f of failed) lines.push(`serving: FAILED to load ${safe(f.name)}@${safe(f.version)}: ${safe(f.reason)}`);
  if (kept.length > 0) lines.push(`serving: kept ${list(kept)} (the version that should replace it cannot load)`);
  return lines;
}

/** A description is free text of up to 4 KiB: its first line, cut to one terminal line. */
const short = (s: string): string => {
  const line = safe(s.split('\n')[0]);
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
};

const text = (lines: string[]): string => `${lines.join('\n')}\n`;

/** `upload`, `promote`, `rollback`, `archive`, `alias`: a headline, the version, the serving report. */
export function changeSummary(headline: string, res: { version?: VersionView; serving?: ServingView }): string {
  return text([headline, ...(res.version ? versionLines(res.version) : []), ...servingLines(res.serving)]);
}

/** `models <model> <version>`: the version, its manifest in brief and its registration checks. */
export function versionDetail(v: VersionView): string {
  const m = v.manifest ?? {};
  const tensors = (ts: Tensor[] | undefined) =>
    ts && ts.length > 0 ? ts.map((t) => `${safe(t.name)} ${safe(t.datatype)}[${t.shape.join(',')}]`).join(', ') : '-';
  const labels = m.labels ? `${m.labels.slice(0, 10).map(safe).join(', ')}${m.labels.length > 10 ? `, ... (${m.labels.length})` : ''}` : '-';
  const lines = [
    `${safe(v.name)} version ${safe(v.version)}`,
    ...versionLines(v),
    `  registered ${safe(v.createdAt)} by ${safe(v.createdBy)}; built ${safe(m.createdAt ?? 'unknown')} by ${safe(m.author ?? 'unknown')}`,
    ...(m.description ? [`  ${short(m.description)}`] : []),
    `  inputs ${tensors(m.inputs)}`,
    `  outputs ${tensors(m.outputs)}`,
    `  labels ${labels}`,
    ...(m.encryption ? [`  model encrypted with key '${safe(m.encryption.keyId)}'`] : []),
  ];
  for (const c of v.validation ?? []) lines.push(`  check ${safe(c.status)} ${safe(c.name)}: ${safe(c.detail)}`);
  return text(lines);
}

interface ModelView {
  name: string;
  productionVersion: string | null;
  aliases: Record<string, string>;
  versions: string[] | (VersionView & { manifest?: undefined })[];
}

const aliasText = (aliases: Record<string, string>) => list(Object.entries(aliases).map(([a, v]) => `${a}=${v}`));

/** `models`: one row per model; then development models outside the registry and load failures. */
export function modelsTable(res: { models: (ModelView & { loaded: string[] })[]; unregistered?: { name: string; version: string; origin?: string }[]; failures?: { name: string; version?: string; reason: string }[] }): string {
  const rows = [['MODEL', 'PRODUCTION', 'ALIASES', 'VERSIONS', 'LOADED']];
  for (const m of res.models) rows.push([m.name, m.productionVersion ?? '-', aliasText(m.aliases), list(m.versions as string[]), list(m.loaded)]);
  let out = res.models.length > 0 ? columns(rows) : 'no model is registered\n';
  for (const u of res.unregistered ?? []) out += `unregistered (served from a folder): ${safe(u.name)}@${safe(u.version)}\n`;
  for (const f of res.failures ?? []) out += `FAILED to load ${safe(f.name)}${f.version ? `@${safe(f.version)}` : ''}: ${safe(f.reason)}\n`;
  return out;
}

/** `models <model>`: production and aliases, then one row per version. */
export function modelDetail(m: ModelView & { versions: VersionView[] }): string {
  const rows = [['VERSION', 'STAGE', 'ALIASES', 'LOADED', 'SHA256', 'REGISTERED']];
  for (const v of m.versions) rows.push([v.version, v.stage, list(v.aliases), v.loaded ? 'yes' : 'no', v.packageSha256.slice(0, 12), v.createdAt]);
  return `${safe(m.name)}: production ${safe(m.productionVersion ?? '-')}, aliases ${aliasText(m.aliases)}\n${columns(rows)}`;
}

export interface HistoryView {
  id: number;
  version: string | null;
  action: string;
  actor: string;
  at: string;
  reason: string | null;
}

/** `history <model>`: one row per change, oldest first. */
export function historyTable(entries: HistoryView[]): string {
  if (entries.length === 0) return 'no change recorded\n';
  const rows = [['ID', 'AT', 'ACTION', 'VERSION', 'ACTOR', 'REASON']];
  for (const h of entries) rows.push([String(h.id), h.at, h.action, h.version ?? '-', h.actor, h.reason ?? '']);
  return columns(rows);
}
