// Payload capture: raw inputs are not kept by default. A model may ask for a sampled, redacted copy
// of its text inputs in the record, e.g. to investigate abuse. Sampling is decided by a hash of the
// request id, so the same request is captured (or not) on every replica and on a retry.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ModelGateError } from '../errors.ts';
import type { Tensor } from '../protocol/types.ts';
import type { JsonValue } from './types.ts';

export type RedactionKind = 'email' | 'phone' | 'card' | 'ipv4';
export const REDACTION_KINDS = ['email', 'card', 'phone', 'ipv4'] as const satisfies readonly RedactionKind[];

export interface PayloadCapturePolicy {
  capture: boolean;
  /** Fraction of requests captured, 0..1. */
  sampleRate: number;
  /** What to mask; default all. */
  redact?: readonly RedactionKind[];
  /** Characters kept per string after redaction; default 4096. */
  maxChars?: number;
}

// Order matters: cards before phones (a card number also looks like a long phone number).
const PATTERNS: Record<RedactionKind, RegExp> = {
  email: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
  card: /\b\d(?:[ -]?\d){12,18}\b/g,
  phone: /(?<![\w.])\+?(?:\(?\d{1,4}\)?[ .-]?){2,5}\d{2,4}(?![\w.])/g,
  ipv4: /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g,
};

/** Masks what looks like personal data, each as [EMAIL], [CARD], [PHONE] or [IPV4]. */
export function redactText(text: string, kinds: readonly RedactionKind[] = REDACTION_KINDS): string {
  let out = text;
  // IPv4 before phone: a dotted quad would otherwise read as a phone number.
  const order: RedactionKind[] = ['email', 'card', 'ipv4', 'phone'];
  for (const kind of order) {
    if (!kinds.includes(kind)) continue;
    out = out.replace(PATTERNS[kind], (m) => (kind === 'phone' && !looksLikePhone(m) ? m : `[${kind.toUpperCase()}]`));
  }
  return out;
}

/** Digit groups that are too short, or an ISO date, are not phone numbers. */
function looksLikePhone(m: string): boolean {
  return m.replace(/\D/g, '').length >= 7 && !/^\d{4}-\d{2}-\d{2}$/.test(m);
}

/** A stable number in [0, 1) from the request id. */
export function sampleFraction(requestId: string): number {
  const digest = createHash('sha256').update('modelgate-audit-sample\0').update(requestId, 'utf8').digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** A model's capture policy in the config file (`models.<name>.payloadCapture`); naming it turns capture
 * on unless `capture` is false. */
export const payloadCaptureSchema = z
  .object({
    capture: z.boolean().default(true),
    sampleRate: z.number().min(0).max(1).describe('fraction of requests captured, chosen by a hash of the request id'),
    redact: z.array(z.enum(REDACTION_KINDS)).optional().describe('what to mask; default all'),
    maxChars: z.number().int().min(1).max(1_048_576).optional().describe('characters kept per string after redaction; default 4096'),
  })
  .strict();

/** Checks a policy built in code by the config file's schema: one definition of what is valid. */
export function checkCapturePolicy(policy: PayloadCapturePolicy): void {
  const r = payloadCaptureSchema.safeParse(policy);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ModelGateError('MG_CONFIG_INVALID', `payload capture ${issue.path.join('.')}: ${issue.message}`);
  }
}

/** The payload to put in the record (AuditEntry.payload), or undefined when the policy does not
 * capture this request. Text tensors are kept redacted; numeric tensors only by name and shape. */
export function capturePayload(policy: PayloadCapturePolicy | undefined, requestId: string, inputs: readonly Tensor[]): JsonValue | undefined {
  if (!policy?.capture || policy.sampleRate <= 0) return undefined;
  if (sampleFraction(requestId) >= policy.sampleRate) return undefined;
  const kinds = policy.redact ?? REDACTION_KINDS;
  const maxChars = policy.maxChars ?? 4096;
  return {
    inputs: inputs.map((t) => {
      const meta: { [key: string]: JsonValue } = { name: t.name, datatype: t.datatype, shape: [...t.shape] };
      if (Array.isArray(t.data)) meta.text = t.data.map((s) => redactText(s, kinds).slice(0, maxChars));
      return meta;
    }),
    redacted: [...kinds],
  };
}
