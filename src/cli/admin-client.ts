// The admin commands' client of the admin plane's HTTP API, so the CLI and the API can never
// disagree; the credential comes from a file or the environment. Also their shared output helpers.
import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { fileReason, ModelGateError } from '../errors.ts';
import { fetchFailure } from './fetch-failure.ts';

export interface ClientOptions {
  adminUrl: string;
  tokenFile: string;
}

async function token(o: ClientOptions): Promise<string> {
  if (process.env.MODELGATE_TOKEN) return process.env.MODELGATE_TOKEN;
  try {
    return (await readFile(o.tokenFile, 'utf8')).trim();
  } catch (err) {
    throw new ModelGateError('MG_UNAUTHENTICATED', `no credential: set MODELGATE_TOKEN or point --token-file at one (tried ${o.tokenFile}: ${fileReason(err) ?? 'cannot be read'})`);
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
  let url: URL;
  try {
    url = new URL(path, o.adminUrl);
  } catch {
    throw new ModelGateError('MG_INVALID_REQUEST', `--admin-url ${JSON.stringify(o.adminUrl)} is not a URL (e.g. http://127.0.0.1:8081)`);
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: payload });
  } catch (err) {
    throw new ModelGateError('MG_MODEL_NOT_READY', fetchFailure(err, url));
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
