// The four extraction signals of one principal on one model, updated per query row and read as
// value / threshold / tripped, so the detector, the audit event and the docs speak the same numbers.
import type { ExtractionSettings } from './config.ts';
import { cellOf, type SparseVector } from './features.ts';
import { PradaState } from './prada.ts';
import { topTwo } from './queries.ts';
import { DistinctWindow, ShareWindow, TimeBuckets } from './windows.ts';

export interface SignalReading {
  /** Current value (queries, distinct share, low-margin share, Shapiro-Wilk W); null before enough data. */
  value: number | null;
  /** The value at which the signal trips (PRADA trips below it, the others at or above). */
  threshold: number;
  /** Queries (or distances, for PRADA) behind the value. */
  samples: number;
  tripped: boolean;
}

export interface Signals {
  volume: SignalReading;
  coverage: SignalReading;
  lowMargin: SignalReading;
  prada: SignalReading;
}

export const SIGNAL_NAMES = ['volume', 'coverage', 'lowMargin', 'prada'] as const satisfies readonly (keyof Signals)[];

export class SignalState {
  private readonly volume: TimeBuckets;
  private readonly cells: DistinctWindow;
  private readonly lowMargin: ShareWindow;
  private readonly prada: PradaState;

  constructor(
    private readonly s: ExtractionSettings,
    /** Low-margin share of benign traffic for this model (the profile's, never below the setting). */
    private readonly benignShare: number,
  ) {
    this.volume = new TimeBuckets(s.volume.windowMs, s.volume.buckets);
    this.cells = new DistinctWindow(s.coverage.window);
    this.lowMargin = new ShareWindow(s.lowMargin.window);
    this.prada = new PradaState(s.prada);
  }

  observe(v: SparseVector, probabilities: readonly number[], now: number): void {
    this.volume.add(now, 1);
    this.cells.push(cellOf(v, this.s.coverage.cellBits));
    const { top, margin } = topTwo(probabilities);
    this.lowMargin.push(margin < this.s.lowMargin.margin);
    this.prada.observe(v, top);
  }

  read(now: number): Signals {
    return { volume: this.readVolume(now), coverage: this.readCoverage(), lowMargin: this.readLowMargin(), prada: this.readPrada() };
  }

  private readVolume(now: number): SignalReading {
    const n = this.volume.total(now);
    const threshold = this.s.volume.maxQueries;
    return { value: n, threshold, samples: n, tripped: n >= threshold };
  }

  private readCoverage(): SignalReading {
    const n = this.cells.size;
    const threshold = this.s.coverage.maxDistinctShare;
    if (n < this.s.coverage.minQueries) return { value: null, threshold, samples: n, tripped: false };
    const share = this.cells.distinct / n;
    return { value: share, threshold, samples: n, tripped: share >= threshold };
  }

  /**
   * Trips when the share is both minRatio times the benign share and minZ binomial standard deviations
   * above it: the ratio keeps a busy benign client from tripping on a large sample, the z-score keeps a
   * small sample from tripping on a handful of hard emails.
   */
  private readLowMargin(): SignalReading {
    const n = this.lowMargin.size;
    const p0 = this.benignShare;
    const { minRatio, minZ, minQueries } = this.s.lowMargin;
    const threshold = Math.min(1, Math.max(minRatio * p0, p0 + minZ * Math.sqrt((p0 * (1 - p0)) / Math.max(1, n))));
    if (n < minQueries) return { value: null, threshold, samples: n, tripped: false };
    const share = this.lowMargin.hits / n;
    return { value: share, threshold, samples: n, tripped: share >= threshold };
  }

  private readPrada(): SignalReading {
    const r = this.prada.reading();
    return { value: r.w, threshold: this.s.prada.wThreshold, samples: r.distances, tripped: r.tripped };
  }
}

/** Sum of the weights of the tripped signals. */
export function scoreOf(signals: Signals, s: ExtractionSettings): number {
  let score = 0;
  for (const name of SIGNAL_NAMES) if (signals[name].tripped) score += s[name].weight;
  return score;
}
