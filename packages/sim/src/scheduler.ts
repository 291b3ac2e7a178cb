// Discrete-event scheduler: a binary heap of actions ordered by (simulated time, sequence number).
// The sequence number makes ties deterministic (first scheduled, first run). Actions may be async
// (site stores are); the scheduler awaits each one before the next, so nothing interleaves.

/** A scheduled action; its label shows up in traces and in the "not quiet" report. */
interface Entry {
  readonly at: number;
  readonly seq: number;
  readonly label: string;
  readonly run: () => void | Promise<void>;
}

/** Why a run stopped. */
export type StopReason = 'quiet' | 'until' | 'time_limit' | 'step_limit';

/** Simulated clock plus the queue of pending actions. */
export class Scheduler {
  #now = 0;
  #seq = 0;
  #steps = 0;
  readonly #heap: Entry[] = [];

  /** Current simulated time in ms. */
  get now(): number {
    return this.#now;
  }

  /** Actions run so far. */
  get steps(): number {
    return this.#steps;
  }

  /** Number of pending actions. */
  get pending(): number {
    return this.#heap.length;
  }

  /** Labels of the next few pending actions (for diagnostics). */
  peekLabels(max = 5): string[] {
    return [...this.#heap].sort(compare).slice(0, max).map((e) => `${e.label}@${e.at}`);
  }

  /** Schedules `run` at simulated time `at` (clamped to now). */
  schedule(at: number, label: string, run: () => void | Promise<void>): void {
    this.#push({ at: Math.max(this.#now, at), seq: this.#seq++, label, run });
  }

  /** Advances the clock to `at` without running anything (used for steps at a later time). */
  advanceTo(at: number): void {
    if (at > this.#now) this.#now = at;
  }

  /**
   * Runs actions in order while they are due before `until` (exclusive), or until the queue is
   * empty. Stops with 'time_limit' / 'step_limit' when a bound is reached.
   */
  async run(opts: { until?: number; maxTime: number; maxSteps: number }): Promise<StopReason> {
    for (;;) {
      const top = this.#heap[0];
      if (!top) return 'quiet';
      if (opts.until !== undefined && top.at >= opts.until) return 'until';
      if (top.at > opts.maxTime) return 'time_limit';
      if (this.#steps >= opts.maxSteps) return 'step_limit';
      this.#pop();
      this.#now = top.at;
      this.#steps += 1;
      await top.run();
    }
  }

  #push(e: Entry): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (compare(h[p]!, h[i]!) <= 0) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop();
    if (h.length === 0 || !last) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && compare(h[l]!, h[m]!) < 0) m = l;
      if (r < h.length && compare(h[r]!, h[m]!) < 0) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}

function compare(x: Entry, y: Entry): number {
  return x.at - y.at || x.seq - y.seq;
}
