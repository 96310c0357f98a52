// What the detector knows about a model's benign traffic: the low-margin share to expect and the scale
// of numeric inputs. Taken from the manifest's baseline when it has them, else from the settings.
import type { NumericScale } from './queries.ts';

export interface ModelProfile {
  /** Share of benign predictions with p_top1 - p_top2 < margin; the setting's value is the floor. */
  benignLowMarginShare?: number;
  /** Standardisation of numeric inputs for the distances (ignored for text). */
  numericScale?: NumericScale;
}

/** A histogram as the manifest baseline stores it: counts[i] holds values in [edges[i], edges[i+1]). */
export interface Histogram {
  edges: readonly number[];
  counts: readonly number[];
}

/**
 * The low-margin share implied by a histogram of a binary model's positive-class probability p: the
 * margin is |2p - 1|, so low-margin means p inside ((1 - margin) / 2, (1 + margin) / 2). Bins that
 * straddle the band count in proportion to their overlap (values assumed uniform within a bin).
 */
export function lowMarginShareFromHistogram(h: Histogram, margin: number): number {
  const lo = (1 - margin) / 2;
  const hi = (1 + margin) / 2;
  let inside = 0;
  let total = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const a = h.edges[i];
    const b = h.edges[i + 1];
    const c = h.counts[i];
    total += c;
    if (!(b > a)) continue;
    const overlap = Math.max(0, Math.min(b, hi) - Math.max(a, lo));
    inside += (c * overlap) / (b - a);
  }
  return total > 0 ? inside / total : 0;
}
