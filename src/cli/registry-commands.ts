// Registry operations from the command line (upload, models, history, promote, rollback, archive,
// delete, load, unload, alias): each prints a short summary, or with --json the server's response.
import type { Command } from 'commander';
import { ModelGateError } from '../errors.ts';
import { call, jsonClient, print, type ClientOptions } from './admin-client.ts';
import { readUserFile } from './files.ts';
import {
  changeSummary, historyTable, modelDetail, modelsTable, servingLines, versionDetail,
  type HistoryView, type ServingView, type VersionView,
} from './summaries.ts';

type Opts = ClientOptions & { json?: boolean; reason?: string };
type Change = { version?: VersionView; serving?: ServingView };

const seg = encodeURIComponent;
const out = (text: string) => void process.stdout.write(text);

/** Calls the API, then prints the response as JSON with --json, else what `human` makes of it. */
async function run<T>(o: Opts, method: string, path: string, body: unknown, human: (res: T) => string): Promise<void> {
  const res = await call<T>(o, method, path, body);
  if (o.json) print(res);
  else out(human(res));
}

export function registryCommands(): Command[] {
  const reason = ['--reason <text>', 'why, recorded in the history'] as const;
  const model = (m: string, rest = '') => `/admin/models/${seg(m)}${rest}`;
  const version = (m: string, v: string, rest = '') => model(m, `/versions/${seg(v)}${rest}`);
  return [
    jsonClient('upload', 'register a package file (verified by the server against its trusted keys)')
      .argument('<package>', 'the .mgpkg file')
      .action(async (file: string, o: Opts) => run<{ created: boolean; version: VersionView }>(o, 'POST', '/admin/packages', readUserFile(file, 'package file'), (r) =>
        changeSummary(r.created ? `registered ${r.version.name} version ${r.version.version}` : `${r.version.name} version ${r.version.version} was already registered with this package`, r))),
    jsonClient('models', 'list models, their versions, aliases and what is loaded')
      .argument('[model]', 'show one model in detail')
      .argument('[version]', 'show one version: manifest in brief, digest, signer, validation, stage (--json: the whole record)')
      .action(async (m: string | undefined, v: string | undefined, o: Opts) => {
        if (!m) return run(o, 'GET', '/admin/models', undefined, modelsTable);
        if (!v) return run(o, 'GET', model(m), undefined, modelDetail);
        return run(o, 'GET', version(m, v), undefined, versionDetail);
      }),
    jsonClient('history', 'every change to a model: who, what, when, why')
      .argument('<model>')
      .action(async (m: string, o: Opts) => run<{ history: HistoryView[] }>(o, 'GET', model(m, '/history'), undefined, (r) => historyTable(r.history))),
    jsonClient('promote', 'make a version the production version: it is loaded and warmed, then takes the traffic')
      .argument('<model>').argument('<version>').option(...reason)
      .action(async (m: string, v: string, o: Opts) => run<Change>(o, 'POST', version(m, v, '/promote'), { reason: o.reason }, (r) =>
        changeSummary(`promoted ${m} version ${v} to production`, r))),
    jsonClient('rollback', 'move production back to the previous production version')
      .argument('<model>').option(...reason)
      .action(async (m: string, o: Opts) => run<Change>(o, 'POST', model(m, '/rollback'), { reason: o.reason }, (r) =>
        changeSummary(`rolled ${m} back: production is version ${r.version?.version ?? '?'}`, r))),
    jsonClient('archive', 'archive a version (not the production one)')
      .argument('<model>').argument('<version>').option(...reason)
      .action(async (m: string, v: string, o: Opts) => run<Change>(o, 'POST', version(m, v, '/archive'), { reason: o.reason }, (r) =>
        changeSummary(`archived ${m} version ${v}`, r))),
    jsonClient('delete', 'delete a version (refused while it is served or aliased)')
      .argument('<model>').argument('<version>')
      .action(async (m: string, v: string, o: Opts) => run<{ blobRemoved: boolean }>(o, 'DELETE', version(m, v), undefined, (r) =>
        `deleted ${m} version ${v}; its package ${r.blobRemoved ? 'was removed from the blob store' : 'stays in the blob store (another version uses the same bytes)'}\n`)),
    jsonClient('load', 'serve a version besides the production one (callers name it in the URL)')
      .argument('<model>').argument('<version>')
      .action(async (m: string, v: string, o: Opts) => run<{ serving: ServingView }>(o, 'POST', version(m, v, '/load'), {}, (r) =>
        `${[`loaded ${m} version ${v}`, ...servingLines(r.serving)].join('\n')}\n`)),
    jsonClient('unload', 'stop serving a version loaded with `load`')
      .argument('<model>').argument('<version>')
      .action(async (m: string, v: string, o: Opts) => run<{ serving: ServingView }>(o, 'POST', version(m, v, '/unload'), {}, (r) => {
        // No longer loaded by `load`, but still serving here when it is the version kept in place of
        // a production version that cannot load: the headline must not say it stopped.
        const stillServing = (r.serving.kept ?? []).includes(`${m}@${v}`);
        const headline = stillServing ? `${m} version ${v} is no longer loaded by 'load', but stays serving here` : `unloaded ${m} version ${v}`;
        return `${[headline, ...servingLines(r.serving)].join('\n')}\n`;
      })),
    jsonClient('alias', 'point an alias (e.g. staging) at a version, or remove it with --remove')
      .argument('<model>').argument('<alias>').argument('[version]').option('--remove', 'remove the alias').option(...reason)
      .action(async (m: string, a: string, v: string | undefined, o: Opts & { remove?: boolean }) => {
        if (o.remove) return run<Change>(o, 'DELETE', model(m, `/aliases/${seg(a)}`), undefined, (r) => changeSummary(`removed alias ${a} of ${m}`, r));
        if (!v) throw new ModelGateError('MG_INVALID_REQUEST', 'give the version the alias should point at, or --remove');
        return run<Change>(o, 'PUT', model(m, `/aliases/${seg(a)}`), { version: v, reason: o.reason }, (r) => changeSummary(`alias ${a} of ${m} points at version ${v}`, r));
      }),
  ];
}
