// `modelgate audit`: verify the chain against its signed checkpoints, export records as JSON lines,
// and archive old ranges. Exit codes: 0 intact, 1 broken, 2 usage or configuration error.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import {
  archiveAuditLog, AUDIT_KINDS, AUDIT_PUBLIC_KEY_FILE, exportAuditJsonl, readPublicKey, verifyAuditLog,
  type AuditFilter, type AuditKind, type VerifyReport,
} from '../audit/index.ts';
import { ModelGateError } from '../errors.ts';
import { checkWritable, readUserFile } from './files.ts';
import { openStore, redactDatabaseUrl, type Store, type StoreOptions } from '../store/index.ts';

/** Where the command writes; tests pass their own. */
export interface AuditCliIo {
  stdout: Writable;
  stderr: Writable;
  setExitCode(code: number): void;
}

interface StoreFlags {
  dataDir?: string;
  databaseUrl?: string;
  databaseSchema?: string;
}

const defaultIo = (): AuditCliIo => ({ stdout: process.stdout, stderr: process.stderr, setExitCode: (c) => { process.exitCode = c; } });

function storeOptions(flags: StoreFlags): { options: StoreOptions; label: string; dataDir: string } {
  const dataDir = resolve(flags.dataDir ?? process.env.MODELGATE_DATA_DIR ?? './data');
  const url = flags.databaseUrl ?? process.env.MODELGATE_DATABASE_URL;
  if (url) {
    const schema = flags.databaseSchema ?? process.env.MODELGATE_DATABASE_SCHEMA;
    return { options: { kind: 'postgres', url, ...(schema ? { schema } : {}), poolSize: 2 }, label: `postgres ${redactDatabaseUrl(url)}${schema ? ` schema ${schema}` : ''}`, dataDir };
  }
  const path = join(dataDir, 'modelgate.db');
  // Opening would create an empty database, and an empty log verifies: refuse instead.
  if (!existsSync(path)) throw new ModelGateError('MG_CONFIG_INVALID', `no database at ${path} (use --data-dir, or --database-url for PostgreSQL)`);
  return { options: { kind: 'sqlite', path }, label: `sqlite ${path}`, dataDir };
}

function withStoreFlags(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory holding modelgate.db [env MODELGATE_DATA_DIR] (default: ./data)')
    .option('--database-url <url>', 'PostgreSQL URL; prefer the environment, a password in a flag shows in ps [env MODELGATE_DATABASE_URL]')
    .option('--database-schema <name>', 'PostgreSQL schema [env MODELGATE_DATABASE_SCHEMA]');
}

async function withStore<T>(flags: StoreFlags, fn: (store: Store, dataDir: string, label: string) => Promise<T>): Promise<T> {
  const { options, label, dataDir } = storeOptions(flags);
  const store = await openStore(options);
  try {
    return await fn(store, dataDir, label);
  } finally {
    await store.close();
  }
}

function trustedKeys(files: string[] | undefined, dataDir: string) {
  const list = files && files.length > 0 ? files : [join(dataDir, AUDIT_PUBLIC_KEY_FILE)].filter((f) => existsSync(f));
  if (list.length === 0) throw new ModelGateError('MG_CONFIG_INVALID', `no trusted key: pass --trust <public key PEM> (the server writes it to <dataDir>/${AUDIT_PUBLIC_KEY_FILE})`);
  return list.map((f) => {
    const pem = readUserFile(f, 'trusted key file');
    try {
      return readPublicKey(pem);
    } catch (err) {
      throw new ModelGateError('MG_CONFIG_INVALID', `${f}: ${(err as Error).message}`, { cause: err });
    }
  });
}

const integer = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new ModelGateError('MG_INVALID_REQUEST', `${name} must be a non-negative integer`);
  return n;
};
const collect = (v: string, prev: string[] = []) => [...prev, v];

export function formatReport(report: VerifyReport, label: string): string {
  const lines = [`audit log: ${label}`];
  lines.push(`anchor: ${report.anchor.kind === 'genesis' ? 'genesis (seq 0)' : `signed checkpoint at seq ${report.anchor.seq}`}`);
  const range = report.checked > 0 ? ` (${report.anchor.seq + 1}..${report.lastSeq})` : '';
  const unsigned = report.lastSeq - report.anchoredThrough;
  lines.push(`checked: ${report.checked} records${range}, ${report.checkpoints} signed checkpoints, signed through seq ${report.anchoredThrough}${unsigned > 0 ? ` (${unsigned} newer records not yet under a checkpoint)` : ''}`);
  if (report.ok) lines.push('OK: every record, link and checkpoint verifies');
  else lines.push(`BROKEN at seq ${report.firstBroken!.seq}: ${report.firstBroken!.problem}: ${report.firstBroken!.detail}`);
  return `${lines.join('\n')}\n`;
}

/** Said on stderr when a range was asked for and the log holds no record in it: `checked: 0` alone
 * reads like a pass over the range. stdout (the report, or its JSON) stays as it is. */
export function rangeNote(report: VerifyReport, from: number | undefined, to: number | undefined): string | undefined {
  if (from === undefined || report.lastSeq >= from || !report.ok) return undefined;
  const range = `${from}..${to ?? 'end'}`;
  return report.lastSeq === 0 ? `note: no record in the range ${range}: the log is empty` : `note: no record in the range ${range}: the log ends at seq ${report.lastSeq}`;
}

export function auditCommand(io: AuditCliIo = defaultIo()): Command {
  const audit = new Command('audit').description('verify, export and archive the tamper-evident audit log');

  audit.addCommand(withStoreFlags(new Command('verify'))
    .description('check every record, link and signed checkpoint; report the first broken link (exit 1)')
    .option('--from <seq>', 'first record of the range', integer('--from'))
    .option('--to <seq>', 'last record of the range', integer('--to'))
    .option('--trust <file>', `trusted public key PEM, repeatable (default <dataDir>/${AUDIT_PUBLIC_KEY_FILE})`, collect)
    .option('--json', 'print the report as JSON')
    .action(async (opts: StoreFlags & { from?: number; to?: number; trust?: string[]; json?: boolean }) => {
      if (opts.from !== undefined && opts.to !== undefined && opts.from > opts.to) throw new ModelGateError('MG_INVALID_REQUEST', `--from ${opts.from} is after --to ${opts.to}`);
      await withStore(opts, async (store, dataDir, label) => {
        const report = await verifyAuditLog(store, {
          publicKeys: trustedKeys(opts.trust, dataDir),
          ...(opts.from === undefined ? {} : { fromSeq: opts.from }),
          ...(opts.to === undefined ? {} : { toSeq: opts.to }),
        });
        io.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatReport(report, label));
        const note = rangeNote(report, opts.from, opts.to);
        if (note) io.stderr.write(`${note}\n`);
        io.setExitCode(report.ok ? 0 : 1);
      });
    }));

  audit.addCommand(withStoreFlags(new Command('export'))
    .description('write matching records as JSON lines to stdout, in chain order, hashes included')
    .option('--from-time <iso>', 'records at or after this time')
    .option('--to-time <iso>', 'records before this time')
    .option('--from <seq>', 'first seq', integer('--from'))
    .option('--to <seq>', 'last seq', integer('--to'))
    .option('--principal <id>')
    .option('--model <name>')
    .option('--request-id <id>')
    .option('--flag <name>', 'records carrying this flag')
    .addOption(new Option('--kind <kind>').choices([...AUDIT_KINDS]))
    .action(async (opts: StoreFlags & { fromTime?: string; toTime?: string; from?: number; to?: number; principal?: string; model?: string; requestId?: string; flag?: string; kind?: AuditKind }) => {
      const filter: AuditFilter = {
        ...(opts.fromTime ? { fromTime: opts.fromTime } : {}), ...(opts.toTime ? { toTime: opts.toTime } : {}),
        ...(opts.from === undefined ? {} : { fromSeq: opts.from }), ...(opts.to === undefined ? {} : { toSeq: opts.to }),
        ...(opts.principal ? { principal: opts.principal } : {}), ...(opts.model ? { model: opts.model } : {}),
        ...(opts.requestId ? { requestId: opts.requestId } : {}), ...(opts.flag ? { flag: opts.flag } : {}),
        ...(opts.kind ? { kind: opts.kind } : {}),
      };
      await withStore(opts, async (store) => {
        const n = await exportAuditJsonl(store, filter, io.stdout);
        io.stderr.write(`exported ${n} records\n`);
      });
    }));

  audit.addCommand(withStoreFlags(new Command('archive'))
    .description('move records older than a point (cut back to a signed checkpoint) to a JSON lines file')
    .option('--before-time <iso>', 'archive records written before this time')
    .option('--before-seq <seq>', 'archive records with a lower seq', integer('--before-seq'))
    .requiredOption('--to-file <file>', 'archive file to create')
    .option('--trust <file>', 'verify the range with this public key first, repeatable', collect)
    .action(async (opts: StoreFlags & { beforeTime?: string; beforeSeq?: number; toFile: string; trust?: string[] }) => {
      if ((opts.beforeTime === undefined) === (opts.beforeSeq === undefined)) throw new ModelGateError('MG_INVALID_REQUEST', 'give one of --before-time or --before-seq');
      checkWritable(opts.toFile, 'archive file (--to-file)');
      await withStore(opts, async (store, dataDir) => {
        const result = await archiveAuditLog(store, {
          file: resolve(opts.toFile),
          actor: `cli:${process.env.USER ?? 'unknown'}`,
          verifyWith: trustedKeys(opts.trust, dataDir),
          ...(opts.beforeTime ? { beforeTime: opts.beforeTime } : {}),
          ...(opts.beforeSeq === undefined ? {} : { beforeSeq: opts.beforeSeq }),
        });
        io.stdout.write(result.archived
          ? `archived records ${result.fromSeq}..${result.toSeq} (${result.records}) to ${result.file} (sha256 ${result.fileSha256}); verification now starts at the checkpoint ${result.toSeq}\n` +
            (result.more ? 'more signed records lie in the range: run the command again with another --to-file\n' : '')
          : `nothing archived: ${result.reason}\n`);
      });
    }));
  return audit;
}
