// The open window of a DriftMonitor: fixed-size buffers per feature filled in O(features) per row,
// and class counts. Sorting and binning happen once, when the window closes.

export class WindowBuffer {
  readonly values: Float64Array[];
  readonly lengths: Int32Array;
  readonly classes = new Map<string, number>();
  rows = 0;
  startedAt: number;

  constructor(
    readonly featureCount: number,
    readonly capacity: number,
    startedAt: number,
  ) {
    this.values = Array.from({ length: featureCount }, () => new Float64Array(capacity));
    this.lengths = new Int32Array(featureCount);
    this.startedAt = startedAt;
  }

  get full(): boolean {
    return this.rows >= this.capacity;
  }

  /** Undefined, NaN and infinite values are left out: they are not part of any baseline summary. */
  push(feature: number, value: number | undefined): void {
    if (value === undefined || !Number.isFinite(value)) return;
    const n = this.lengths[feature];
    if (n < this.capacity) {
      this.values[feature][n] = value;
      this.lengths[feature] = n + 1;
    }
  }

  countClass(label: string): void {
    this.classes.set(label, (this.classes.get(label) ?? 0) + 1);
  }

  /** Sorted copy of one feature's values, for KS. */
  sorted(feature: number): Float64Array {
    return this.values[feature].slice(0, this.lengths[feature]).sort();
  }

  reset(startedAt: number): void {
    this.lengths.fill(0);
    this.classes.clear();
    this.rows = 0;
    this.startedAt = startedAt;
  }
}
