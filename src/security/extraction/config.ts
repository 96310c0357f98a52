// Settings of the extraction detector: one zod schema, every default chosen and explained in
// docs/extraction.md (measured against the example spam filter). Parsed once, frozen, passed in.
import { z } from 'zod';
import { outputPolicySchema } from '../output-policy.ts';

/** How sure the detector is that a principal is extracting a model, weakest first. */
export const LEVELS = ['none', 'suspect', 'likely', 'confirmed', 'critical'] as const;
export type Level = (typeof LEVELS)[number];
/** What the server does about it, mildest first. */
export const ACTIONS = ['none', 'alert', 'degrade', 'throttle', 'block'] as const;
export type Action = (typeof ACTIONS)[number];

export const levelRank = (l: Level): number => LEVELS.indexOf(l);
export const actionRank = (a: Action): number => ACTIONS.indexOf(a);

const weight = z.number().min(0).max(10);

export const extractionSettingsSchema = z.object({
  /** Principal x model pairs tracked at once; the least recently seen is forgotten first. */
  maxTracked: z.number().int().min(1).max(1_000_000).default(1000),
  features: z.object({
    /** log2 of the hashed feature dimension (text buckets; numeric rows fold into it). */
    hashBits: z.number().int().min(6).max(16).default(12),
    /** Heaviest entries kept per query vector: bounds the memory of each remembered query. */
    maxNonZero: z.number().int().min(4).max(4096).default(64),
  }).prefault({}),
  volume: z.object({
    /** Sliding window over which queries are counted. */
    windowMs: z.number().int().min(1000).default(3_600_000),
    /** Sub-buckets of the window (memory is one counter each). */
    buckets: z.number().int().min(1).max(3600).default(60),
    /** Rows per window above which the volume signal trips. */
    maxQueries: z.number().int().min(1).default(5000),
    weight: weight.default(1),
  }).prefault({}),
  coverage: z.object({
    /** SimHash bits: 2^bits cells of the input space. */
    cellBits: z.number().int().min(4).max(20).default(12),
    /** Last queries whose cells are counted. */
    window: z.number().int().min(10).max(100_000).default(400),
    minQueries: z.number().int().min(10).default(200),
    /** Distinct cells / queries in the window above which the signal trips. */
    maxDistinctShare: z.number().gt(0).max(1).default(0.85),
    weight: weight.default(1),
  }).prefault({}),
  lowMargin: z.object({
    /** A prediction is low-margin when p_top1 - p_top2 < margin. */
    margin: z.number().gt(0).lt(1).default(0.3),
    window: z.number().int().min(10).max(100_000).default(200),
    minQueries: z.number().int().min(5).default(50),
    /** Low-margin share of benign traffic when no model profile says otherwise (a floor with one). */
    benignShare: z.number().gt(0).lt(1).default(0.02),
    /** The observed share must be at least this many times the benign share ... */
    minRatio: z.number().min(1).default(3),
    /** ... and this many binomial standard deviations above it. */
    minZ: z.number().min(0).default(3),
    weight: weight.default(1),
  }).prefault({}),
  prada: z.object({
    /** Growing-set members remembered per predicted class (oldest forgotten first). */
    maxSetSize: z.number().int().min(2).max(10_000).default(128),
    /** Last minimum distances the normality test looks at. */
    window: z.number().int().min(20).max(5000).default(300),
    minDistances: z.number().int().min(20).default(100),
    /** Shapiro-Wilk W below which the distance distribution counts as not normal (PRADA's delta). */
    wThreshold: z.number().gt(0).lt(1).default(0.9),
    /** Run the test every this many new distances (it sorts the window). */
    checkEvery: z.number().int().min(1).default(10),
    /** Classes tracked separately; more fold together. */
    maxClasses: z.number().int().min(1).max(1000).default(16),
    weight: weight.default(2),
  }).prefault({}),
  /** Score (sum of the weights of tripped signals) at which each level starts. */
  levels: z.object({
    suspect: z.number().gt(0).default(1),
    likely: z.number().gt(0).default(2),
    confirmed: z.number().gt(0).default(3),
    critical: z.number().gt(0).default(5),
  }).prefault({}).refine((l) => l.suspect <= l.likely && l.likely <= l.confirmed && l.confirmed <= l.critical, {
    message: 'levels must not decrease: suspect <= likely <= confirmed <= critical',
  }),
  /** While any signal stays tripped, every this many rows raise the level one step (0: never). */
  escalateAfterQueries: z.number().int().min(0).default(500),
  /** A level (below critical) steps down after this long with no tripped signal. */
  cooldownMs: z.number().int().min(0).default(86_400_000),
  /** The escalation ladder: at each level, the strongest action listed at or below it applies. */
  actions: z.array(z.object({ at: z.enum(LEVELS).exclude(['none']), do: z.enum(ACTIONS).exclude(['none']) }))
    .default([
      { at: 'suspect', do: 'alert' },
      { at: 'likely', do: 'degrade' },
      { at: 'confirmed', do: 'throttle' },
      { at: 'critical', do: 'block' },
    ])
    .refine((steps) => steps.every((s, i) => i === 0 ||
      (levelRank(s.at) >= levelRank(steps[i - 1].at) && actionRank(s.do) >= actionRank(steps[i - 1].do))), {
      message: 'ladder steps must be ordered by level and must not soften the action',
    }),
  /** Output policy for a degraded principal (combined with the model's with the stricter winning). */
  degrade: outputPolicySchema.prefault({ mode: 'top1', decimals: 1 }),
  /** Rows per minute a throttled principal may still send to the model. */
  throttlePerMinute: z.number().int().min(0).default(10),
});

export type ExtractionSettings = z.output<typeof extractionSettingsSchema>;
export type ExtractionSettingsInput = z.input<typeof extractionSettingsSchema>;

/** Validates and freezes; throws zod's error on a bad value (the config loader wraps it as MG_CONFIG_INVALID). */
export function parseExtractionSettings(input: ExtractionSettingsInput = {}): ExtractionSettings {
  return deepFreeze(extractionSettingsSchema.parse(input));
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
