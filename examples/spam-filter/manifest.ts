// The manifest.json written beside model.onnx: the graph's interface, held-out metrics and baseline.
// Validated with the registry's own schema before it is written, so a bad manifest never reaches disk.
import type { z } from 'zod';
import { parseManifest, type manifestSchema } from '../../src/registry/manifest.ts';
import { LABELS } from './jsonl.ts';

/** The longest text a client may send, in characters; the graph itself was tested with 1 MB. */
/** The manifest as written (defaults left implicit); parseManifest turns it into the registry's Manifest. */
export type ManifestInput = z.input<typeof manifestSchema>;

export const MAX_TEXT_LENGTH = 1_048_576;

export interface ManifestParts {
  version: string;
  description: string;
  metrics: Record<string, unknown>;
  baseline: Record<string, unknown>;
}

export function buildManifest(parts: ManifestParts): ManifestInput {
  const manifest: ManifestInput = {
    schemaVersion: 1 as const,
    name: 'spam-filter',
    version: parts.version,
    runtime: 'onnx' as const,
    description: parts.description,
    labels: [...LABELS],
    inputs: [
      {
        name: 'text',
        datatype: 'BYTES' as const,
        shape: [-1],
        constraints: {
          maxLength: MAX_TEXT_LENGTH,
          // Folding look-alikes and dropping invisible characters undoes the cheapest evasions
          // ("fr\u200Bee", full-width letters) before the ASCII tokenizer sees the text.
          normalize: { nfkc: true, stripInvisible: true, homoglyphs: true },
        },
      },
    ],
    outputs: [
      { name: 'label', datatype: 'BYTES' as const, shape: [-1] },
      { name: 'probabilities', datatype: 'FP32' as const, shape: [-1, 2] },
    ],
    predict: { input: 'text', probabilities: 'probabilities', label: 'label' },
    metrics: parts.metrics,
    baseline: parts.baseline,
  };
  parseManifest(manifest, 'spam-filter manifest');
  return manifest;
}

/** Stable bytes: two-space JSON with a final newline; key order is the order built above. */
export function serializeManifest(manifest: ManifestInput): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
