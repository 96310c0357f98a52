// Registry operations from the command line: a thin client of the admin plane's HTTP API, so the
// CLI and the API can never disagree. The credential comes from a file or the environment.
import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { ModelGateError } from '../errors.ts';

export interface ClientOptions {
  adminUrl: string;
  tokenFile: string;
}

async function token(o: ClientOptions): Promise<string> {
  if (process.env.MODELGATE_TOKEN) return process.env.MODELGATE_TOKEN;
  try {
    return (await readFile(o.tokenFile, 'utf8')).trim();
  } catch {
    throw new ModelGateError('MG_UNAUTHENTICATED', `no credential: set MODELGATE_TOKEN or point --token-file at one (tried ${o.tokenFile})`);
  }
}

export async function call<T = unknown>(o: ClientOptions, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${await token(o)}` };
  let payload: BodyInit | undefined;
  if (Buffer.isBuffer(body)) {
    headers['content-type'] = 'application/octet-stream';
    payload = new Uint8Array(body);
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(new URL(path, o.adminUrl), { method, headers, body: payload });
  } catch {
    throw new ModelGateError('MG_MODEL_NOT_READY', `cannot reach the admin plane at ${o.adminUrl}; is the server running? (--admin-url)`);
  }
  const json = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new ModelGateError('MG_INVALID_REQUEST', `${res.status}: ${json.error ?? res.statusText}`);
  return json as T;
}

/** Rows as aligned columns, the first row the header. Control characters in values (a principal id
 * comes from a token's subject) are shown escaped, never sent to the terminal. */
export function columns(table: readonly string[][]): string {
  const rows = table.map((r) => r.map((c) => c.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}

/** Pretty JSON on stdout, or on `out` for commands that take their output channel as a parameter. */
export const print = (value: unknown, out: (text: string) => void = (t) => void process.stdout.write(t)): void => {
  out(`${JSON.stringify(value, null, 2)}\n`);
};
const seg = encodeURIComponent;

export function client(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .option('--admin-url <url>', 'admin plane URL [env MODELGATE_ADMIN_URL]', process.env.MODELGATE_ADMIN_URL ?? 'http://127.0.0.1:8081')
    .option('--token-file <file>', 'file holding the credential (or set MODELGATE_TOKEN)', 'data/admin.token');
}

/** `client` for commands that print a table or a line, with `--json` for the raw response instead. */
export function jsonClient(name: string, description: string): Command {
  return client(name, description).option('--json', 'print the server response as JSON');
}

export function registryCommands(): Command[] {
  const reason = ['--reason <text>', 'why, recorded in the history'] as const;
  return [
    client('upload', 'register a package file (verified by the server against its trusted keys)')
      .argument('<package>', 'the .mgpkg file')
      .action(async (file: string, o: ClientOptions) => print(await call(o, 'POST', '/admin/packages', await readFile(file)))),
    client('models', 'list models, their versions, aliases and what is loaded')
      .argument('[model]', 'show one model in detail')
      .argument('[version]', 'show one version: manifest, digest, signer, validation, stage')
      .action(async (model: string | undefined, version: string | undefined, o: ClientOptions) => {
        const path = model ? `/admin/models/${seg(model)}${version ? `/versions/${seg(version)}` : ''}` : '/admin/models';
        print(await call(o, 'GET', path));
      }),
    client('history', 'every change to a model: who, what, when, why')
      .argument('<model>')
      .action(async (model: string, o: ClientOptions) => print(await call(o, 'GET', `/admin/models/${seg(model)}/history`))),
    client('promote', 'make a version the production version: it is loaded and warmed, then takes the traffic')
      .argument('<model>').argument('<version>').option(...reason)
      .action(async (m: string, v: string, o: ClientOptions & { reason?: string }) => print(await call(o, 'POST', `/admin/models/${seg(m)}/versions/${seg(v)}/promote`, { reason: o.reason }))),
    client('rollback', 'move production back to the previous production version')
      .argument('<model>').option(...reason)
      .action(async (m: string, o: ClientOptions & { reason?: string }) => print(await call(o, 'POST', `/admin/models/${seg(m)}/rollback`, { reason: o.reason }))),
    client('archive', 'archive a version (not the production one)')
      .argument('<model>').argument('<version>').option(...reason)
      .action(async (m: string, v: string, o: ClientOptions & { reason?: string }) => print(await call(o, 'POST', `/admin/models/${seg(m)}/versions/${seg(v)}/archive`, { reason: o.reason }))),
    client('delete', 'delete a version (refused while it is served or aliased)')
      .argument('<model>').argument('<version>')
      .action(async (m: string, v: string, o: ClientOptions) => print(await call(o, 'DELETE', `/admin/models/${seg(m)}/versions/${seg(v)}`))),
    client('load', 'serve a version besides the production one (callers name it in the URL)')
      .argument('<model>').argument('<version>')
      .action(async (m: string, v: string, o: ClientOptions) => print(await call(o, 'POST', `/admin/models/${seg(m)}/versions/${seg(v)}/load`, {}))),
    client('unload', 'stop serving a version loaded with `load`')
      .argument('<model>').argument('<version>')
      .action(async (m: string, v: string, o: ClientOptions) => print(await call(o, 'POST', `/admin/models/${seg(m)}/versions/${seg(v)}/unload`, {}))),
    client('alias', 'point an alias (e.g. staging) at a version, or remove it with --remove')
      .argument('<model>').argument('<alias>').argument('[version]').option('--remove', 'remove the alias').option(...reason)
      .action(async (m: string, a: string, v: string | undefined, o: ClientOptions & { remove?: boolean; reason?: string }) => {
        if (o.remove) return void print(await call(o, 'DELETE', `/admin/models/${seg(m)}/aliases/${seg(a)}`));
        if (!v) throw new ModelGateError('MG_INVALID_REQUEST', 'give the version the alias should point at, or --remove');
        print(await call(o, 'PUT', `/admin/models/${seg(m)}/aliases/${seg(a)}`, { version: v, reason: o.reason }));
      }),
  ];
}
