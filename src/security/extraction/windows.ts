// Bounded sliding windows behind the volume, coverage and low-margin signals: fixed memory per
// principal whatever the traffic, so a flood of queries cannot grow the detector's state.

/** Counts events in a sliding time window, kept as `buckets` sub-windows (one counter each). */
export class TimeBuckets {
  private readonly counts: Uint32Array;
  private readonly width: number;
  private newest = -1;

  constructor(windowMs: number, buckets: number) {
    this.counts = new Uint32Array(buckets);
    this.width = Math.max(1, Math.ceil(windowMs / buckets));
  }

  add(now: number, n: number): void {
    this.advance(now);
    this.counts[this.slot(this.newest)] += n;
  }

  total(now: number): number {
    this.advance(now);
    let s = 0;
    for (const c of this.counts) s += c;
    return s;
  }

  private slot(bucket: number): number {
    return bucket % this.counts.length;
  }

  // Clears the buckets that fell out of the window since the last call; a clock going backwards (NTP
  // step) is treated as "now", never as a reason to clear.
  private advance(now: number): void {
    const bucket = Math.floor(now / this.width);
    if (this.newest < 0) {
      this.newest = bucket;
      return;
    }
    if (bucket <= this.newest) return;
    const gap = Math.min(bucket - this.newest, this.counts.length);
    for (let i = 1; i <= gap; i++) this.counts[this.slot(this.newest + i)] = 0;
    this.newest = bucket;
  }
}

/** The last `size` values in a ring, with a running count of each distinct value (for coverage). */
export class DistinctWindow {
  private readonly ring: Uint32Array;
  private readonly seen = new Map<number, number>();
  private next = 0;
  private filled = 0;

  constructor(size: number) {
    this.ring = new Uint32Array(size);
  }

  push(value: number): void {
    if (this.filled === this.ring.length) {
      const old = this.ring[this.next];
      const c = this.seen.get(old)! - 1;
      if (c === 0) this.seen.delete(old);
      else this.seen.set(old, c);
    } else {
      this.filled++;
    }
    this.ring[this.next] = value;
    this.next = (this.next + 1) % this.ring.length;
    this.seen.set(value, (this.seen.get(value) ?? 0) + 1);
  }

  get size(): number {
    return this.filled;
  }

  has(value: number): boolean {
    return this.seen.has(value);
  }

  get distinct(): number {
    return this.seen.size;
  }
}

/** The last `size` yes/no outcomes and how many were yes (for the low-margin share). */
export class ShareWindow {
  private readonly ring: Uint8Array;
  private next = 0;
  private filled = 0;
  private yes = 0;

  constructor(size: number) {
    this.ring = new Uint8Array(size);
  }

  push(hit: boolean): void {
    if (this.filled === this.ring.length) this.yes -= this.ring[this.next];
    else this.filled++;
    this.ring[this.next] = hit ? 1 : 0;
    this.yes += hit ? 1 : 0;
    this.next = (this.next + 1) % this.ring.length;
  }

  get size(): number {
    return this.filled;
  }

  get hits(): number {
    return this.yes;
  }
}

/** The last `size` numbers, oldest first on read (for PRADA's distances). */
export class NumberWindow {
  private readonly ring: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(size: number) {
    this.ring = new Float64Array(size);
  }

  push(x: number): void {
    this.ring[this.next] = x;
    this.next = (this.next + 1) % this.ring.length;
    if (this.filled < this.ring.length) this.filled++;
  }

  get size(): number {
    return this.filled;
  }

  values(): Float64Array {
    return this.filled < this.ring.length ? this.ring.slice(0, this.filled) : this.ring.slice();
  }
}

/** A Map that forgets its least recently used key beyond `max` entries. */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly max: number) {}

  /** Reads and marks as recently used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** Reads without touching the order (cheap checks must not keep an entry alive). */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Inserts as most recent; returns the evicted key and value, if any. */
  set(key: K, value: V): [K, V] | undefined {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size <= this.max) return undefined;
    const [oldKey, oldValue] = this.map.entries().next().value as [K, V];
    this.map.delete(oldKey);
    return [oldKey, oldValue];
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }

  /** Every entry, least recently used first, without touching the order. */
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
