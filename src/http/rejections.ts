// Refused requests are audited and counted too, so abuse is visible: a failed credential, a rate
// limit, a malformed body. Both planes call this from the error handler and the guards.
import type { FastifyRequest } from 'fastify';
import { failureContext, type AuditSink, type FailureContext } from '../dataplane/index.ts';
import type { ErrorCode } from '../errors.ts';
import { rejectionReason } from '../monitoring/safeguard-metrics.ts';

/** `err`: what was thrown, when there was something (the dataplane may know more about it). */
export type OnRejected = (req: FastifyRequest, status: number, code: ErrorCode | string, flags: readonly string[], message: string, err?: unknown) => Promise<void>;

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

/** Counts a refusal by reason, with the model and version the request named (the metrics keep them
 * only when they are loaded: a URL cannot grow the label set). */
export type CountRejection = (reason: string, model?: string, version?: string) => void;

export function auditRejections(audit: AuditSink, plane: 'inference' | 'admin', count: CountRejection): OnRejected {
  return async (req, status, code, extra, message, err) => {
    const flags = flagsFor(status, code, extra);
    const params = (req.params ?? {}) as Record<string, unknown>;
    // Counted here and only here: every refusal of both planes passes this way once.
    const reason = rejectionReason(status, code, extra);
    if (reason) count(reason, typeof params.model === 'string' ? params.model : undefined, typeof params.version === 'string' ? params.version : undefined);
    // Refusals under overload (503) are counted, not audited: under overload every write counts.
    if (status === 503) return;
    await audit.record({
      kind: status >= 500 && code === 'MG_INFERENCE_FAILED' ? 'inference' : 'rejected',
      requestId: req.id,
      principal: req.principal?.id ?? null,
      endpoint: plane === 'inference' ? clip(params.model) : `admin ${req.method} ${req.routeOptions.url ?? 'unknown'}`,
      model: clip(params.model),
      // A request that failed after its version was chosen: which version and arm, which input, how late.
      ...auditedFailure(failureContext(err, req.id), clip(params.version)),
      flags,
      status,
      detail: { code, message: message.slice(0, 500) },
    });
  };
}

function auditedFailure(failure: FailureContext | undefined, versionParam: string | null) {
  if (!failure) return { version: versionParam };
  const inputSha256 = failure.inputSha256();
  return { version: failure.version, route: failure.route, latencyMs: failure.latencyMs, ...(inputSha256 && { inputSha256 }) };
}
