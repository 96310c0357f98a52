// The manifest of a model version: what it is, what it takes and answers, how it was measured.
// It travels inside a package (manifest.json) and sits beside model.onnx in a model repository folder.
import { z } from 'zod';
import { ModelGateError } from '../errors.ts';

/** Model and version names end up in URLs, file names and metric labels: keep them plain. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'FP32', 'FP64', 'BYTES',
] as const;
export type Datatype = (typeof DATATYPES)[number];

const textNormalization = z
  .object({
    nfkc: z.boolean().default(false).describe('apply Unicode NFKC normalisation'),
    stripInvisible: z.boolean().default(false).describe('remove zero-width and other invisible characters'),
    homoglyphs: z.boolean().default(false).describe('fold common homoglyphs to their ASCII look-alikes'),
  })
  .strict();

export const inputConstraintsSchema = z
  .object({
    min: z.number().optional().describe('smallest allowed numeric value'),
    max: z.number().optional().describe('largest allowed numeric value'),
    allowNonFinite: z.boolean().default(false).describe('accept NaN and +/-Infinity'),
    minLength: z.number().int().nonnegative().optional().describe('shortest text, in characters'),
    maxLength: z.number().int().positive().optional().describe('longest text, in characters'),
    maxBatch: z.number().int().positive().optional().describe('most rows in one request'),
    normalize: textNormalization.optional(),
  })
  .strict();
export type InputConstraints = z.infer<typeof inputConstraintsSchema>;

const dim = z.number().int().min(-1);

export const tensorSpecSchema = z
  .object({
    name: z.string().min(1).max(128),
    datatype: z.enum(DATATYPES),
    shape: z.array(dim).max(8),
    constraints: inputConstraintsSchema.optional(),
  })
  .strict();
export type TensorSpec = z.infer<typeof tensorSpecSchema>;

export const fileEntrySchema = z
  .object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().nonnegative(),
  })
  .strict();

export const encryptionSchema = z
  .object({
    algorithm: z.literal('aes-256-gcm'),
    keyId: z.string().min(1).max(128),
    /** Files in the package whose bytes are ciphertext. */
    files: z.record(
      z.string(),
      z.object({ iv: z.string().min(1), tag: z.string().min(1), plaintextSha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
    ),
  })
  .strict();

export const manifestSchema = z
  .object({
    schemaVersion: z.literal(1).default(1),
    name: z.string().regex(MODEL_NAME_PATTERN, 'lower-case letters, digits, ".", "_" or "-", at most 63'),
    version: z.string().regex(VERSION_PATTERN, 'letters, digits, ".", "_" or "-", at most 63'),
    runtime: z.literal('onnx').default('onnx'),
    description: z.string().max(4096).optional(),
    author: z.string().max(256).optional(),
    createdAt: z.string().datetime({ offset: true }).optional(),
    /** Class labels by index, used by the simple JSON API to name a prediction. */
    labels: z.array(z.string().min(1).max(256)).max(100_000).optional(),
    /** Declared inputs; when absent they are read from the ONNX graph (repository folders only). */
    inputs: z.array(tensorSpecSchema).max(256).optional(),
    outputs: z.array(tensorSpecSchema.omit({ constraints: true })).max(256).optional(),
    /** How the simple JSON API maps {"text"} and answers: which input and outputs to use. */
    predict: z
      .object({
        input: z.string().min(1).optional(),
        probabilities: z.string().min(1).optional(),
        label: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    metrics: z.record(z.string(), z.unknown()).optional(),
    baseline: z.record(z.string(), z.unknown()).optional(),
    /** SHA-256 and size of every other file in the package, covered by the signature. */
    files: z.record(z.string(), fileEntrySchema).optional(),
    encryption: encryptionSchema.optional(),
  })
  .strict();
export type Manifest = z.infer<typeof manifestSchema>;

/** Parses and validates a manifest, naming every problem with its JSON path. */
export function parseManifest(value: unknown, where = 'manifest'): Manifest {
  const result = manifestSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new ModelGateError('MG_PACKAGE_INVALID', `${where} is invalid: ${problems}`);
  }
  return result.data;
}
