// A tiny in-test fan-out for driving real devices: each published event goes to every other device
// in the same partition; events that cannot cross a partition are held and delivered on heal.
// Delivery order is FIFO, reversed, or shuffled by a seed. Not the simulator.

import { createHash } from 'node:crypto';
import { createDevice, type MergeDevice, type MergeEffects, type RetentionPolicy } from '../src/index.ts';

/** Deterministic random source for a device (sha256 counter mode). */
export function seededRandom(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      const take = Math.min(block.length, n - off);
      out.set(block.subarray(0, take), off);
      off += take;
    }
    return out;
  };
}

export type Order = 'fifo' | 'lifo' | { seed: number };

interface Delivery {
  to: string;
  bytes: Uint8Array;
}

/** A controllable network of devices. */
export class Net {
  readonly devices = new Map<string, MergeDevice>();
  readonly events: Uint8Array[] = [];
  now = 0;
  order: Order = 'fifo';
  #partition: Map<string, number> | null = null;
  #queue: Delivery[] = [];
  #held: Delivery[] = [];
  #seen = new Map<string, Set<number>>();
  #wake = new Map<string, number>();
  #rng = 1;
  #index = new Map<Uint8Array, number>();

  /** Creates a device; it receives every event its partition has seen so far. */
  addDevice(id: string, opts: { retention?: RetentionPolicy; rebaseIntervalMs?: number } = {}): MergeDevice {
    const d = createDevice({ id, suite: 1, random: seededRandom(id), ...opts });
    this.devices.set(id, d);
    this.#seen.set(id, new Set());
    const backlog = new Set<number>();
    for (const [other, seen] of this.#seen) if (other !== id && this.#connected(id, other)) for (const i of seen) backlog.add(i);
    for (const i of [...backlog].sort((a, b) => a - b)) this.#queue.push({ to: id, bytes: this.events[i] as Uint8Array });
    return d;
  }

  get(id: string): MergeDevice {
    const d = this.devices.get(id);
    if (!d) throw new Error(`no device ${id}`);
    return d;
  }

  /** Splits the devices into partitions (lists of ids); unlisted devices are alone. */
  split(...groups: string[][]): void {
    this.#partition = new Map();
    groups.forEach((g, i) => g.forEach((id) => this.#partition?.set(id, i)));
  }

  /** Reconnects everyone; every device gets every event it has not seen, oldest first (a site sync). */
  heal(): void {
    this.#partition = null;
    this.#held = [];
    const queued = new Map<string, Set<Uint8Array>>();
    for (const q of this.#queue) {
      const set = queued.get(q.to) ?? new Set<Uint8Array>();
      set.add(q.bytes);
      queued.set(q.to, set);
    }
    for (const id of this.devices.keys()) {
      const seen = this.#seen.get(id) as Set<number>;
      const inQueue = queued.get(id);
      for (let i = 0; i < this.events.length; i++) {
        const bytes = this.events[i] as Uint8Array;
        if (!seen.has(i) && !inQueue?.has(bytes)) this.#queue.push({ to: id, bytes });
      }
    }
  }

  /** Within the current partitions, every device gets the events its partition has seen. */
  syncPartitions(): void {
    for (const id of this.devices.keys()) {
      const mine = this.#seen.get(id) as Set<number>;
      const want = new Set<number>();
      for (const [other, seen] of this.#seen) if (other !== id && this.#connected(id, other)) for (const i of seen) if (!mine.has(i)) want.add(i);
      for (const i of [...want].sort((x, y) => x - y)) this.#queue.push({ to: id, bytes: this.events[i] as Uint8Array });
    }
  }

  #connected(a: string, b: string): boolean {
    if (!this.#partition) return true;
    const pa = this.#partition.get(a);
    return pa !== undefined && pa === this.#partition.get(b);
  }

  /** Applies the effects of a call made on device `from`. */
  apply(from: string, fx: MergeEffects): MergeEffects {
    for (const bytes of fx.publish) {
      const i = this.events.length;
      this.events.push(bytes);
      this.#index.set(bytes, i);
      this.#seen.get(from)?.add(i);
      for (const to of this.devices.keys()) {
        if (to === from) continue;
        (this.#connected(from, to) ? this.#queue : this.#held).push({ to, bytes });
      }
    }
    if (fx.wakeAt !== undefined) this.#wake.set(from, fx.wakeAt);
    return fx;
  }

  /** Runs an action on a device and applies its effects. */
  act(id: string, f: (d: MergeDevice, now: number) => MergeEffects): MergeEffects {
    return this.apply(id, f(this.get(id), this.now));
  }

  #next(): Delivery | undefined {
    if (this.#queue.length === 0) return undefined;
    if (this.order === 'fifo') return this.#queue.shift();
    if (this.order === 'lifo') return this.#queue.pop();
    this.#rng = (this.#rng * 1103515245 + 12345 + this.order.seed) >>> 0;
    const i = this.#rng % this.#queue.length;
    return this.#queue.splice(i, 1)[0];
  }

  /** Delivers queued events until none are left. */
  flush(): void {
    for (let d = this.#next(); d; d = this.#next()) {
      const i = this.#index.get(d.bytes) ?? -1;
      this.#seen.get(d.to)?.add(i);
      this.apply(d.to, this.get(d.to).ingest(d.bytes, this.now));
    }
  }

  /** Advances time, firing device timers, delivering everything, until quiet (or `maxMs`). */
  settle(maxMs = 60_000, stepMs = 100): void {
    const end = this.now + maxMs;
    this.flush();
    while (this.now < end) {
      const due = [...this.#wake.entries()].filter(([, t]) => t <= this.now);
      for (const [id] of due) {
        this.#wake.delete(id);
        this.apply(id, this.get(id).tick(this.now));
      }
      this.flush();
      if (this.#wake.size === 0 && this.#queue.length === 0) {
        // one more tick round for devices that want to act without a timer
        let published = 0;
        for (const [id, d] of this.devices) published += this.apply(id, d.tick(this.now)).publish.length;
        this.flush();
        if (published === 0 && this.#wake.size === 0) return;
      }
      this.now += stepMs;
    }
  }

  /** Creates a group on `creator` and adds the others (each by a fresh KeyPackage) in one commit. */
  formGroup(creator: string, others: string[]): void {
    this.act(creator, (d, now) => d.createGroup(now));
    this.flush();
    if (others.length > 0) {
      const kps = others.map((o) => this.get(o).createKeyPackage());
      this.act(creator, (d, now) => d.add(kps, now));
    }
    this.settle();
  }
}

import { getCipherSuite } from '@weft/crypto';
import { buildEvent, decodeEvent, type DagEvent, type EventSigner } from '@weft/dag';

/** The event signer of device `id` as the harness seeds it (its first random draw), for crafting hostile events. */
export function reproduceSigner(id: string): EventSigner {
  const cs = getCipherSuite(1, 'node', { random: seededRandom(id) });
  const kp = cs.signatureGenerateKeyPair();
  return { suite: cs, privateKey: kp.privateKey, publicKey: kp.publicKey };
}

/** Re-signs an event as device `signerId` with some fields changed (for crafting hostile events). */
export function rewrap(bytes: Uint8Array, signerId: string, change: (e: DagEvent) => Partial<DagEvent>): Uint8Array {
  const ev = decodeEvent(bytes).event;
  const next = { ...ev, ...change(ev) };
  const { v: _v, sig: _s, author, ...rest } = next;
  return buildEvent({ ...rest, ...(author.leaf === undefined ? {} : { leaf: author.leaf }) }, reproduceSigner(signerId)).bytes;
}

/**
 * A group of a, b, c, d split into {a, c} and {b, d}; c and d update on their sides, then the
 * network heals and settles, so the losing side's refresh comes back as an Update proposal
 * committed by reference.
 */
export function healWithUpdateProposals(): Net {
  const net = new Net();
  for (const id of ['a', 'b', 'c', 'd']) net.addDevice(id);
  net.formGroup('a', ['b', 'c', 'd']);
  net.split(['a', 'c'], ['b', 'd']);
  net.act('c', (d, now) => d.update(now));
  net.act('d', (d, now) => d.update(now));
  net.flush();
  net.heal();
  net.settle();
  return net;
}
