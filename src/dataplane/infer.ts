// The inference use case, transport-free: authorize, pick the version, admit (extraction gate, rate
// limits), validate, inspect, run through the batcher under a deadline, observe the answer and apply
// the caller's output policy. Every transport (REST today) calls this.
import { canonicalInputHash, capturePayload, type AuditEntry, type OutputSummary, type PayloadCapturePolicy } from '../audit/index.ts';
import { errors, isModelGateError, type ErrorCode } from '../errors.ts';
import type { InferenceRequest, InferenceResponse, Tensor } from '../protocol/index.ts';
import type { ModelSet } from '../registry/index.ts';
import type { ServedVersion } from '../runtime/index.ts';
import { authorize, type Principal } from '../security/index.ts';
import { applyOutputPolicy, FULL_OUTPUT } from '../security/output-policy.ts';
import type { Answered, Safeguards } from './safeguards.ts';
import type { RolloutController, RouteDecision } from '../routing/index.ts';
import { decide, firstLabel, mirror, observePrimary, SERVER_FAULTS } from './routing.ts';
import { probabilitiesOf } from './safeguards.ts';
import { validateRequest } from './validate.ts';

export interface RequestContext {
  principal?: Principal;
  /** The server's id of this request: answers carry it, feedback and audit records refer to it. */
  requestId: string;
  /** A request header, for sticky A/B assignment by a caller-chosen key. */
  header?: (name: string) => string | undefined;
}

export interface InferenceOutcome {
  model: string;
  version: string;
  /** 'OK' or the catalog code the request failed with. */
  code: 'OK' | ErrorCode;
  seconds: number;
}

export interface InferenceObserver {
  onInference?(outcome: InferenceOutcome): void;
}

/** Where answered requests are recorded; record() resolves once the record is durable. */
export interface AuditSink {
  record(entry: AuditEntry): Promise<unknown>;
}

export interface InferDeps {
  models: ModelSet;
  audit?: AuditSink;
  requestTimeoutMs: number;
  observer?: InferenceObserver;
  safeguards?: Safeguards;
  rollouts?: RolloutController;
  /** A model's payload capture policy (config `models.<name>.payloadCapture`); none: inputs only hashed. */
  payloadCapture?: (model: string) => PayloadCapturePolicy | undefined;
  isDraining: () => boolean;
}

/** The engine's answer before the output policy, with what the safeguards decided about it. */
export interface RawAnswer {
  served: ServedVersion;
  response: InferenceResponse;
  answered: Answered;
}

/** Rejects after `ms` with a timeout and aborts the signal, so a still-queued request leaves the queue. */
function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = errors.timeout(ms);
      controller.abort(err);
      reject(err);
    }, ms);
  });
  const started = performance.now();
  const done = work(controller.signal).then((value) => {
    // The clock, not only the timer: work that held the event loop past the deadline (an engine call
    // on this thread, runtime/lone.ts) ends before the timer gets its turn, and would answer late.
    if (performance.now() - started < ms) return value;
    const err = errors.timeout(ms);
    controller.abort(err);
    throw err;
  });
  return Promise.race([done, deadline]).finally(() => clearTimeout(timer));
}

const rowsOf = (inputs: readonly Tensor[]) => Math.max(1, inputs[0]?.shape[0] ?? 1);

/** What the audit keeps of an answer: the first row's label and confidence, the row count, and for a
 * multi-row request to a version that tracks feedback every row's label. */
function summarize(served: ServedVersion, outputs: readonly Tensor[], labels: readonly string[] | undefined, keepLabels: boolean): OutputSummary {
  const probs = probabilitiesOf(served, outputs);
  const rows = probs?.shape[0] ?? labels?.length ?? 0;
  let confidence: number | null = null;
  if (probs && probs.shape[1] > 0) {
    const k = probs.shape[1];
    confidence = Math.max(...Array.from(probs.data.slice(0, k) as Float32Array, Number));
  }
  // Every row's label of a multi-row request to a version that tracks feedback (up to
  // MAX_AUDITED_LABELS), so that a label for `<requestId>/<row>` can be joined on any replica.
  const all = keepLabels && labels && labels.length > 1 ? { labels: labels.slice(0, MAX_AUDITED_LABELS) } : {};
  return { label: labels?.[0] ?? null, confidence, rows, ...all };
}

const MAX_AUDITED_LABELS = 1000;

/** Which version answers a request, and whether it is mirrored. */
export interface Resolved {
  served: ServedVersion;
  decision?: RouteDecision;
}

function capturedPayload(policy: PayloadCapturePolicy | undefined, requestId: string, inputs: readonly Tensor[]): Pick<AuditEntry, 'payload'> {
  const payload = capturePayload(policy, requestId, inputs);
  return payload === undefined ? {} : { payload };
}

/** What the dataplane knew of a request that failed after its version was chosen: the transport's
 * audit record of the failure carries it (which input made the model fail, on which arm, how late). */
export interface FailureContext {
  version: string;
  route: string;
  /** Hashed only when asked: refusals under overload are not audited, and hashing then costs CPU. */
  inputSha256(): string | null;
  latencyMs: number;
}

// By error, then request id: a failed batch rejects every caller with the same error object.
const failures = new WeakMap<object, Map<string, FailureContext>>();

/** The context of a failure thrown by infer/run for this request, if it happened after the version was chosen. */
export function failureContext(err: unknown, requestId: string): FailureContext | undefined {
  return typeof err === 'object' && err !== null ? failures.get(err)?.get(requestId) : undefined;
}

function noteFailure(err: unknown, requestId: string, context: FailureContext): void {
  if (typeof err !== 'object' || err === null) return;
  let byRequest = failures.get(err);
  if (!byRequest) failures.set(err, (byRequest = new Map()));
  byRequest.set(requestId, context);
}

function inputHashOf(inputs: readonly Tensor[]): string | null {
  try {
    return canonicalInputHash(inputs);
  } catch {
    return null; // inputs too malformed to hash: the record says so by leaving it out
  }
}

export function createInfer(deps: InferDeps) {
  /** Inference requests between admission and answer, on every model. At 1 a request is alone: its
   * engine call may run on this thread (runtime/lone.ts) rather than wake the engine worker. Engine
   * calls that outlive their request (a shadow's, a timed-out one's) are not counted: they only share
   * the machine with an inline call, as any worker does. */
  let active = 0;

  /** Authorizes and picks the version: the one named in the URL, else the endpoint policy's choice. */
  function resolve(ctx: RequestContext, model: string, version: string | undefined): Resolved {
    authorize(ctx.principal, 'infer', model);
    if (deps.isDraining()) throw errors.shuttingDown();
    const decision = version === undefined ? decide(deps.rollouts, model, ctx.requestId, ctx.header) : undefined;
    return { served: deps.models.get(model, decision?.primary.version ?? version), decision };
  }

  async function run(ctx: RequestContext, model: string, version: string | undefined, request: InferenceRequest, resolved?: Resolved): Promise<RawAnswer> {
    const { served, decision } = resolved ?? resolve(ctx, model, version);
    const principal = ctx.principal!;
    const arm = decision?.primary.arm ?? 'primary';
    const started = performance.now();
    let code: InferenceOutcome['code'] = 'OK';
    active++;
    try {
      await deps.safeguards?.admit(principal, served, rowsOf(request.inputs));
      const valid = validateRequest(served, request);
      // One deadline covers the inspection and the run: neither may hold the request past it.
      const { outputs, seen } = await withDeadline(deps.requestTimeoutMs, async (signal) => {
        const inspecting = deps.safeguards?.inspect(served, request.inputs, valid.inputs);
        inspecting?.catch(() => undefined); // awaited below; a failed run must not leave it unhandled
        // An OOD screen refuses before the model runs; otherwise the features are computed meanwhile.
        if (inspecting && deps.safeguards?.screens(served)) await inspecting;
        if (decision?.shadow && deps.rollouts) {
          mirror(deps.rollouts, deps.models, model, decision.shadow.version, ctx.requestId, request.inputs, deps.requestTimeoutMs);
        }
        // Read at the call (the OOD screen may have waited); a mirrored request is not alone, its
        // shadow's engine call runs meanwhile.
        const alone = active === 1 && !decision?.shadow;
        const out = await served.infer(valid.inputs, valid.outputs, signal, alone);
        const latencyMs = performance.now() - started;
        const seen = await inspecting;
        // The arm's statistics get the answer and the OOD verdict on the request (a canary fails on too
        // many). Counted per request, not per row: one large request of odd rows must not tip a canary.
        const ood = seen?.ood && seen.ood.scored > 0 ? { scored: 1, out: seen.ood.out > 0 ? 1 : 0 } : undefined;
        if (decision) observePrimary(deps.rollouts, model, arm, ctx.requestId, true, latencyMs, firstLabel(served, out), ood);
        return { outputs: out, seen };
      });
      const answered = seen && deps.safeguards
        ? deps.safeguards.answer(principal, served, ctx.requestId, valid.inputs, outputs, seen)
        : { policy: FULL_OUTPUT, flags: [], recorded: [] };
      const response: InferenceResponse = {
        modelName: served.name,
        modelVersion: served.version,
        ...(request.id !== undefined && { id: request.id }),
        outputs,
      };
      // Durable before the answer leaves: an answered request always has its record.
      await deps.audit?.record({
        kind: 'inference',
        requestId: ctx.requestId,
        principal: principal.id,
        endpoint: model,
        model: served.name,
        version: served.version,
        // The arm that answered, and whether a shadow version saw the request too.
        route: decision?.shadow ? `${arm}+shadow` : arm,
        inputSha256: canonicalInputHash(request.inputs),
        // As received (before normalisation), sampled and redacted, only when the model asks for it.
        ...capturedPayload(deps.payloadCapture?.(served.name), ctx.requestId, request.inputs),
        output: summarize(served, outputs, answered.labels, answered.feedbackTracked === true),
        flags: [...answered.flags, ...answered.recorded],
        status: 200,
        latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
      });
      return { served, response, answered };
    } catch (err) {
      code = isModelGateError(err) ? err.code : 'MG_INTERNAL';
      const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
      if (decision && SERVER_FAULTS.has(code)) observePrimary(deps.rollouts, model, arm, ctx.requestId, false, latencyMs);
      noteFailure(err, ctx.requestId, { version: served.version, route: decision?.shadow ? `${arm}+shadow` : arm, inputSha256: () => inputHashOf(request.inputs), latencyMs });
      throw err;
    } finally {
      active--;
      deps.observer?.onInference?.({ model: served.name, version: served.version, code, seconds: (performance.now() - started) / 1000 });
    }
  }

  /** OIP inference: the caller's output policy applied to the tensors, flags in the parameters. */
  async function infer(ctx: RequestContext, model: string, version: string | undefined, request: InferenceRequest): Promise<InferenceResponse & { flags: string[] }> {
    const { served, response, answered } = await run(ctx, model, version, request);
    const outputs = applyOutputPolicy(answered.policy, response.outputs, served.manifest.labels ?? [], {
      probabilities: served.manifest.predict?.probabilities,
      label: served.manifest.predict?.label,
    });
    const flags = answered.flags;
    return {
      ...response,
      outputs,
      flags,
      ...(flags.length > 0 && { parameters: { ...response.parameters, modelgate_flags: flags.join(',') } }),
    };
  }

  return { resolve, run, infer };
}

export type InferUseCase = ReturnType<typeof createInfer>;
export type Infer = InferUseCase['infer'];
