// A package refused at start-up import or at load, reported the way a refused upload is: counted by
// catalog code and audited as a 'rejected' record with {code, message}, so an operator finds every
// refusal in one place whatever path the package came by (issue 4: "an audit event and a metric").
import type { Logger } from 'pino';
import type { AuditEntry } from '../audit/types.ts';
import { ModelGateError } from '../errors.ts';

/** Where refusals are audited; the server passes its audit log (an AuditSink). */
export interface RefusalAudit {
  record(entry: AuditEntry): Promise<unknown>;
}

export interface RefusalSinks {
  onRefused?: (code: string) => void;
  audit?: RefusalAudit;
  logger: Logger;
}

export interface Refused {
  /** 'import' (a file of the import folder) or 'load' (a registered version). */
  action: 'import' | 'load';
  /** The file name, or name@version. */
  target: string;
  /** Who started it: the import's actor; null for a load, which the server does by itself. */
  principal: string | null;
  model?: string;
  version?: string;
}

/** Counts and audits a ModelGateError refusal; returns the reason to show (never a raw internal error). */
export async function reportRefusal(sinks: RefusalSinks, err: unknown, what: Refused, fallback: string): Promise<string> {
  if (!(err instanceof ModelGateError)) return fallback;
  sinks.onRefused?.(err.code);
  // No HTTP exchange, so no status; the audit write failing must not stop the import or the load.
  await sinks.audit
    ?.record({
      kind: 'rejected',
      principal: what.principal,
      model: what.model ?? null,
      version: what.version ?? null,
      flags: [],
      detail: { action: what.action, target: what.target, code: err.code, message: err.message.slice(0, 500) },
    })
    .catch((auditErr: unknown) => sinks.logger.error({ err: String(auditErr), target: what.target }, 'auditing a package refusal failed'));
  return err.message;
}
