// Latency histogram with buckets 1 % wide on a log scale: fixed size (so a
// client process can record millions of samples and ship its histogram over
// IPC in a few kilobytes) and precise enough for p50/p99 reporting.

const BUCKETS_PER_E = 100; // bucket i holds (e^((i-1)/100), e^(i/100)] microseconds
const BUCKET_COUNT = 1900; // up to e^19 µs ≈ 3 minutes

export interface HistogramData {
  readonly counts: number[];
  readonly count: number;
  readonly maxMicros: number;
}

export class LatencyHistogram {
  private counts = new Uint32Array(BUCKET_COUNT);
  private total = 0;
  private maxMicros = 0;

  record(micros: number): void {
    const us = micros < 1 ? 1 : micros;
    const index = Math.min(BUCKET_COUNT - 1, Math.ceil(Math.log(us) * BUCKETS_PER_E));
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total++;
    if (us > this.maxMicros) this.maxMicros = us;
  }

  get count(): number {
    return this.total;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maxMicros = 0;
  }

  merge(other: HistogramData): void {
    other.counts.forEach((n, i) => {
      if (n > 0) this.counts[i] = (this.counts[i] ?? 0) + n;
    });
    this.total += other.count;
    if (other.maxMicros > this.maxMicros) this.maxMicros = other.maxMicros;
  }

  toData(): HistogramData {
    return { counts: Array.from(this.counts), count: this.total, maxMicros: this.maxMicros };
  }

  /** The latency (ms) below which `p` percent of samples fall; null when empty. */
  percentileMs(p: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(Math.exp(i / BUCKETS_PER_E), this.maxMicros) / 1000;
    }
    return this.maxMicros / 1000;
  }

  maxMs(): number | null {
    return this.total === 0 ? null : this.maxMicros / 1000;
  }

  summary(): LatencySummary {
    return {
      samples: this.total,
      p50Ms: round(this.percentileMs(50)),
      p95Ms: round(this.percentileMs(95)),
      p99Ms: round(this.percentileMs(99)),
      maxMs: round(this.maxMs()),
    };
  }
}

export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

function round(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 100) / 100;
}

/** Wall-clock time in ms with sub-millisecond precision, comparable across processes on one machine. */
export function clockMs(): number {
  return performance.timeOrigin + performance.now();
}
