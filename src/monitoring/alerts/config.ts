// The `alerts` section of the config file, validated once with zod, and its resolution at start:
// webhook secrets read from the environment or a file, rules merged (defaults < config < store).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ModelGateError } from '../../errors.ts';
import { defaultRules } from './defaults.ts';
import { alertRuleSchema, type AlertRule } from './rules.ts';
import { SEVERITIES, type Severity } from './types.ts';

/** http and https only, no credentials in the URL (they would leak into logs and history). */
export function webhookUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http and https URLs are allowed';
  if (url.username || url.password) return 'credentials in the URL are not allowed; authenticate receivers with the signature';
  return undefined;
}

export const webhookSchema = z
  .object({
    url: z.string().superRefine((u, ctx) => {
      const problem = webhookUrlProblem(u);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }).describe('where notifications are POSTed (http or https)'),
    name: z.string().min(1).max(100).optional()
      .describe('name recorded in the history and logs; default the URL without its query (name it if the path holds a token)'),
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional().describe('environment variable holding the signing secret'),
    secretFile: z.string().min(1).optional().describe('file holding the signing secret (a mounted secret)'),
    minSeverity: z.enum(SEVERITIES).default('warning').describe('alerts below this severity are not sent here'),
    timeoutMs: z.number().int().min(100).max(120_000).default(5000).describe('one attempt gives up after this long'),
    maxAttempts: z.number().int().min(1).max(20).default(5).describe('attempts per notification before it is recorded as failed'),
    backoffMs: z.number().int().min(0).max(600_000).default(1000).describe('wait before the 2nd attempt; doubles each time, with jitter'),
    maxBackoffMs: z.number().int().min(0).max(3_600_000).default(60_000).describe('longest wait between attempts'),
    maxQueue: z.number().int().min(1).max(100_000).default(1000).describe('notifications waiting for this receiver; beyond it the oldest is dropped and recorded as failed'),
  })
  .strict()
  .refine((w) => (w.secretEnv === undefined) !== (w.secretFile === undefined), { message: 'give exactly one of secretEnv and secretFile' });
export type WebhookConfig = z.output<typeof webhookSchema>;

export const alertsConfigSchema = z
  .object({
    evaluationIntervalMs: z.number().int().min(1000).max(3_600_000).default(15_000)
      .describe('how often rules are evaluated; a rule\'s `for` is effectively rounded up to a multiple of it'),
    defaults: z.boolean().default(true).describe('include the built-in rules (docs/alerts.md)'),
    disable: z.array(z.string()).default([]).describe('names of rules (built-in or not) to leave out'),
    rules: z.array(alertRuleSchema).default([])
      .refine((rules) => new Set(rules.map((r) => r.name)).size === rules.length, { message: 'rule names must be unique' })
      .describe('custom rules; one named like a built-in replaces it'),
    webhooks: z.array(webhookSchema).default([]).describe('receivers of firing and resolved notifications'),
  })
  .strict();
export type AlertsConfig = z.output<typeof alertsConfigSchema>;
export type AlertsConfigInput = z.input<typeof alertsConfigSchema>;

/** A webhook ready to use: its secret read, its display name settled. */
export interface ResolvedWebhook {
  url: string;
  name: string;
  secret: string;
  minSeverity: Severity;
  timeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  maxQueue: number;
}

export const MIN_SECRET_LENGTH = 16;

/** The URL as recorded and logged: origin and path, no query or fragment. */
export function webhookDisplayName(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** Reads each webhook's secret. Errors name the variable or file, never the secret. */
export function resolveWebhooks(
  webhooks: readonly WebhookConfig[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): ResolvedWebhook[] {
  return webhooks.map((w) => {
    const name = w.name ?? webhookDisplayName(w.url);
    let secret: string | undefined;
    if (w.secretEnv !== undefined) {
      secret = env[w.secretEnv];
      if (secret === undefined) throw invalid(`alerts webhook ${name}: environment variable ${w.secretEnv} is not set`);
    } else {
      try {
        secret = readFile(w.secretFile!).replace(/\r?\n$/, '');
      } catch {
        throw invalid(`alerts webhook ${name}: secret file ${w.secretFile} cannot be read`);
      }
    }
    if (secret.length < MIN_SECRET_LENGTH) {
      throw invalid(`alerts webhook ${name}: the secret must have at least ${MIN_SECRET_LENGTH} characters`);
    }
    const { url, minSeverity, timeoutMs, maxAttempts, backoffMs, maxBackoffMs, maxQueue } = w;
    return { url, name, secret, minSeverity, timeoutMs, maxAttempts, backoffMs, maxBackoffMs, maxQueue };
  });
}

/** The rules in force: built-ins (if enabled), then config rules, then stored ones; a later rule
 * with the same name replaces an earlier one; `disable` removes names last. */
export function resolveRules(config: AlertsConfig, stored: readonly AlertRule[] = []): AlertRule[] {
  const byName = new Map<string, AlertRule>();
  for (const r of config.defaults ? defaultRules() : []) byName.set(r.name, r);
  for (const r of config.rules) byName.set(r.name, r);
  for (const r of stored) byName.set(r.name, r);
  for (const name of config.disable) byName.delete(name);
  return [...byName.values()];
}

function invalid(message: string): ModelGateError {
  return new ModelGateError('MG_CONFIG_INVALID', message);
}
