// Alert rules: the zod schema, the condition test, and how a rule turns the samples of its signal
// into instance values (label filter, then one instance per label set or per group-by group).
import { z } from 'zod';
import { ModelGateError } from '../../errors.ts';
import { SEVERITIES, type Labels, type Sample } from './types.ts';

export const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];
export const AGGREGATIONS = ['max', 'min', 'sum', 'avg'] as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;
const LABEL = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const DAY_MS = 24 * 3600 * 1000;

export const alertRuleSchema = z
  .object({
    name: z.string().regex(NAME, 'a letter or _ then letters, digits, _ . : - (at most 128)').describe('unique name of the rule'),
    description: z.string().max(1000).default('').describe('what it means and what to do; sent with every notification'),
    signal: z.string().regex(NAME).describe("the signal the rule watches, e.g. 'error_rate'"),
    labels: z.record(z.string().regex(LABEL), z.string()).default({})
      .describe('only samples carrying these exact label values (e.g. {"model": "spam"})'),
    groupBy: z.array(z.string().regex(LABEL)).optional()
      .describe('one instance per value of these labels, aggregated; default: one instance per label set'),
    aggregate: z.enum(AGGREGATIONS).default('max').describe('how samples of one group combine (max: the worst one decides)'),
    condition: z.object({ op: z.enum(OPERATORS), threshold: z.union([z.number(), z.boolean()]) }).strict()
      .describe('fires while `value op threshold` holds; booleans count as 1 and 0'),
    for: z.number().int().min(0).max(DAY_MS).default(0)
      .describe('ms the condition must hold before the alert fires (pending until then); 0 fires at once'),
    keepFiringFor: z.number().int().min(0).max(DAY_MS).default(0)
      .describe('ms a firing alert stays firing after the condition stops holding, so a flapping signal sends one alert'),
    severity: z.enum(SEVERITIES).default('warning'),
  })
  .strict();
export type AlertRule = z.output<typeof alertRuleSchema>;
export type AlertRuleInput = z.input<typeof alertRuleSchema>;

/** Validates one rule; MG_INVALID_REQUEST names the field. */
export function parseRule(input: unknown): AlertRule {
  const parsed = alertRuleSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelGateError('MG_INVALID_REQUEST', `alert rule: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

export function toNumber(value: number | boolean): number {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

export function conditionHolds(rule: AlertRule, value: number): boolean {
  const t = toNumber(rule.condition.threshold);
  switch (rule.condition.op) {
    case '>': return value > t;
    case '>=': return value >= t;
    case '<': return value < t;
    case '<=': return value <= t;
    case '==': return value === t;
    case '!=': return value !== t;
  }
}

function matches(filter: Labels, labels: Labels): boolean {
  for (const [k, v] of Object.entries(filter)) if (labels[k] !== v) return false;
  return true;
}

/** The rule's instances: labels and value of each. NaN samples are skipped: no data is not a breach. */
export function selectInstances(rule: AlertRule, samples: readonly Sample[]): { labels: Labels; value: number }[] {
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (const s of samples) {
    if (s.signal !== rule.signal || !matches(rule.labels, s.labels)) continue;
    const value = toNumber(s.value);
    if (Number.isNaN(value)) continue;
    const labels = rule.groupBy ? pick(s.labels, rule.groupBy) : s.labels;
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    const group = groups.get(key);
    if (group) group.values.push(value);
    else groups.set(key, { labels, values: [value] });
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, value: aggregate(rule.aggregate, g.values) }));
}

function pick(labels: Labels, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const n of names) if (labels[n] !== undefined) out[n] = labels[n];
  return out;
}

function aggregate(how: AlertRule['aggregate'], values: number[]): number {
  switch (how) {
    case 'max': return Math.max(...values);
    case 'min': return Math.min(...values);
    case 'sum': return values.reduce((a, b) => a + b, 0);
    case 'avg': return values.reduce((a, b) => a + b, 0) / values.length;
  }
}
