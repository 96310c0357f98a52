// `modelgate extraction`: who the extraction detector holds at which level (list), and the operator's
// lift, through the admin plane's HTTP API like the other commands.
import { Command } from 'commander';
import { call, columns, jsonClient, print, type ClientOptions } from './admin-client.ts';
import type { CliIo } from './keys.ts';

const stdio: CliIo = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };
const seg = encodeURIComponent;

interface Flagged {
  principal: string;
  model: string;
  level: string;
  action: string;
  local: string;
  shared: string;
  queries?: number;
  sharedSince?: string;
}

function table(rows: Flagged[]): string {
  const lines = [['PRINCIPAL', 'MODEL', 'LEVEL', 'ACTION', 'HERE', 'STORED', 'QUERIES', 'STORED SINCE']];
  for (const f of rows) lines.push([f.principal, f.model, f.level, f.action, f.local, f.shared, f.queries === undefined ? '-' : String(f.queries), f.sharedSince ?? '-']);
  return columns(lines);
}

export function extractionCommand(io: CliIo = stdio): Command {
  const list = jsonClient('list', 'principals the extraction detector holds above none, highest level first (auditor or admin)')
    .option('--model <name>', 'only this model')
    .action(async (o: ClientOptions & { model?: string; json?: boolean }) => {
      const res = await call<{ principals: Flagged[] }>(o, 'GET', `/admin/extraction${o.model ? `?model=${seg(o.model)}` : ''}`);
      if (o.json) print(res, io.out);
      else if (res.principals.length === 0) io.out('no principal is flagged\n');
      else io.out(table(res.principals));
    });

  const lift = jsonClient('lift', "lift a principal's level on a model, on every replica (admin; audited; the only way out of critical)")
    .argument('<model>')
    .argument('<principal>', 'as listed, e.g. key:abcdefghijkl or jwt:<issuer>:<subject>')
    .action(async (model: string, principal: string, o: ClientOptions & { json?: boolean }) => {
      const res = await call<{ before: string }>(o, 'DELETE', `/admin/models/${seg(model)}/extraction/${seg(principal)}`);
      if (o.json) print(res, io.out);
      else io.out(`lifted ${principal} on ${model} (was ${res.before})\n`);
    });

  return new Command('extraction').description('model-extraction verdicts: list flagged principals, lift a level').addCommand(list).addCommand(lift);
}
