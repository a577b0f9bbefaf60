/**
 * Counting on the request path without prom-client's per-call work (a labels object, a
 * hash string built from it, label validation, and for a histogram a closure per
 * observation): one mutable cell per label combination, found through nested maps keyed
 * by the label values — no string built and nothing allocated once the cell exists. The
 * cells are read when the registry is scraped.
 */
import { Counter, type Registry } from 'prom-client';

/** Cells by up to three label values (a metric with two labels passes '' as the third). */
export class CellMap<C> {
  private readonly byFirst = new Map<string, Map<string, Map<string, C>>>();
  /** Every cell, in creation order. */
  readonly all: C[] = [];

  constructor(private readonly create: (a: string, b: string, c: string) => C) {}

  get(a: string, b: string, c = ''): C {
    let m1 = this.byFirst.get(a);
    if (m1 === undefined) this.byFirst.set(a, (m1 = new Map()));
    let m2 = m1.get(b);
    if (m2 === undefined) m1.set(b, (m2 = new Map()));
    let cell = m2.get(c);
    if (cell === undefined) {
      cell = this.create(a, b, c);
      m2.set(c, cell);
      this.all.push(cell);
    }
    return cell;
  }

  clear(): void {
    this.byFirst.clear();
    this.all.length = 0;
  }
}

function labelsOf(names: readonly string[], a: string, b: string, c: string): Record<string, string> {
  const values = [a, b, c];
  const labels: Record<string, string> = {};
  names.forEach((n, i) => (labels[n] = values[i]));
  return labels;
}

/**
 * A prom-client Counter whose increments wait in cells and are added to it when it is
 * collected (scraped): the exposition is prom-client's own.
 */
export class CellCounter {
  private readonly cells: CellMap<{ labels: Record<string, string>; pending: number }>;
  private readonly counter: Counter<string>;

  constructor(o: { name: string; help: string; labelNames: readonly string[]; registry: Registry }) {
    this.cells = new CellMap((a, b, c) => ({ labels: labelsOf(o.labelNames, a, b, c), pending: 0 }));
    const flush = () => this.flush();
    this.counter = new Counter({ name: o.name, help: o.help, labelNames: o.labelNames, registers: [o.registry], collect: flush });
  }

  inc(a: string, b: string, c: string, value = 1): void {
    this.cells.get(a, b, c).pending += value;
  }

  private flush(): void {
    for (const cell of this.cells.all) {
      if (cell.pending === 0) continue;
      this.counter.inc(cell.labels, cell.pending);
      cell.pending = 0;
    }
  }
}

interface HistogramCell {
  labels: Record<string, string>;
  /** Per bucket (the last one: above every bound), not cumulative. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A histogram with three labels, exposed in prom-client's format (registered on the
 * registry as a metric of its own): an observation is a bucket search and three
 * additions on its cell.
 */
export class CellHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly bounds: readonly number[];
  private readonly cells: CellMap<HistogramCell>;

  constructor(o: { name: string; help: string; labelNames: readonly [string, string, string]; buckets: readonly number[]; registry: Registry }) {
    this.name = o.name;
    this.help = o.help;
    this.bounds = [...o.buckets].sort((x, y) => x - y);
    const n = this.bounds.length + 1;
    this.cells = new CellMap((a, b, c) => ({ labels: labelsOf(o.labelNames, a, b, c), buckets: new Float64Array(n), sum: 0, count: 0 }));
    o.registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  observe(a: string, b: string, c: string, value: number): void {
    if (!Number.isFinite(value)) return;
    const cell = this.cells.get(a, b, c);
    const bounds = this.bounds;
    let i = 0;
    // a bucket counts the observations at most its bound (`le`)
    while (i < bounds.length && value > bounds[i]) i++;
    cell.buckets[i] += 1;
    cell.sum += value;
    cell.count += 1;
  }

  reset(): void {
    this.cells.clear();
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    for (const cell of this.cells.all) {
      let acc = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        acc += cell.buckets[i];
        values.push({ labels: { le: i < this.bounds.length ? this.bounds[i] : '+Inf', ...cell.labels }, value: acc, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: cell.labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}
