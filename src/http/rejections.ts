// Refused requests are audited and counted too, so abuse is visible: a failed credential, a rate
// limit, a malformed body. Both planes call this from the error handler and the guards.
import type { FastifyRequest } from 'fastify';
import type { AuditSink } from '../dataplane/index.ts';
import type { ErrorCode } from '../errors.ts';

export type OnRejected = (req: FastifyRequest, status: number, code: ErrorCode | string, flags: readonly string[], message: string) => Promise<void>;

const INPUT_CODES = new Set(['MG_INPUT_CONSTRAINT', 'MG_INVALID_TENSOR', 'MG_INVALID_REQUEST', 'MG_PAYLOAD_TOO_LARGE', 'FST_ERR_VALIDATION']);

function flagsFor(status: number, code: string, extra: readonly string[]): string[] {
  const flags = new Set(extra);
  if (status === 429) flags.add('rate-limited');
  if (status === 401) flags.add('unauthenticated');
  if (status === 403) flags.add('forbidden');
  if (INPUT_CODES.has(code) || (status === 400 && code.startsWith('FST_'))) flags.add('input-rejected');
  return [...flags].sort();
}

const clip = (v: unknown) => (typeof v === 'string' ? v.slice(0, 128) : null);

export function auditRejections(audit: AuditSink, plane: 'inference' | 'admin', count: (reason: string) => void): OnRejected {
  return async (req, status, code, extra, message) => {
    const flags = flagsFor(status, code, extra);
    if (status === 401 || status === 403) count('auth');
    // Shed requests (503) are counted by the guard and not audited: under overload every write counts.
    if (status === 503) return;
    const params = (req.params ?? {}) as Record<string, unknown>;
    await audit.record({
      kind: status >= 500 && code === 'MG_INFERENCE_FAILED' ? 'inference' : 'rejected',
      requestId: req.id,
      principal: req.principal?.id ?? null,
      endpoint: plane === 'inference' ? clip(params.model) : `admin ${req.method} ${req.routeOptions.url ?? 'unknown'}`,
      model: clip(params.model),
      version: clip(params.version),
      flags,
      status,
      detail: { code, message: message.slice(0, 500) },
    });
  };
}
