// Structured sections of the config file, each validated by the schema its capability owns, so a
// setting is described once, next to the code that uses it. Scalars stay in settings.ts.
import { z } from 'zod';
import { driftConfigSchema } from '../monitoring/drift/config.ts';
import { feedbackConfigSchema } from '../monitoring/feedback/config.ts';
import { oodConfigSchema } from '../monitoring/profile/ood.ts';
import { extractionSettingsSchema } from '../security/extraction/config.ts';
import { outputPolicySchema } from '../security/output-policy.ts';
import { rateLimitsSchema } from '../security/rate-limit/config.ts';
import { identitySettingsSchema } from '../security/identity/settings.ts';
import { alertsConfigSchema } from '../monitoring/alerts/config.ts';
import { payloadCaptureSchema } from '../audit/capture.ts';

export const OOD_MODES = ['off', 'record', 'flag', 'reject'] as const;

export const sectionsSchema = z.object({
  rateLimits: rateLimitsSchema.prefault({}),
  extraction: extractionSettingsSchema.prefault({}),
  /** The output policy of every model, unless models.<name>.outputPolicy says otherwise. */
  outputPolicy: outputPolicySchema.prefault({}),
  ood: oodConfigSchema.prefault({}),
  drift: driftConfigSchema.prefault({}),
  feedback: feedbackConfigSchema.prefault({}),
  identity: identitySettingsSchema.prefault({}),
  alerts: alertsConfigSchema.prefault({}),
});
export type Sections = z.output<typeof sectionsSchema>;
export const SECTION_KEYS = Object.keys(sectionsSchema.shape) as (keyof Sections)[];

/** Per-model settings of the config file's `models` section, over the global ones. */
export const perModelSchema = z
  .object({
    outputPolicy: outputPolicySchema.optional(),
    ood: z.enum(OOD_MODES).optional().describe('what to do with an out-of-distribution request'),
    payloadCapture: payloadCaptureSchema.optional().describe('keep a sampled, redacted copy of the inputs in the audit record'),
  })
  .strict();
