// Replays one simulated device's recorded calls into a fresh device inside a child process, which
// has its own V8 heap, GC threads and CPU clock, so the CPU measured is that device's own work and
// its own garbage, not the collection of the other devices' garbage that the shared simulator
// process happens to run inside its calls. The replay is deterministic (same id, same seeded
// randomness, same calls in the same order); the caller checks that it publishes the very same
// events (CIDs) and ends in the same state (head, tree hash, exporter secret) as in the shared run.
//
// The calls are replayed on a throwaway device first (compiles and optimises the code, as the
// shared process has done by the heal), then, each after a full GC, on `passes` fresh devices; the
// median of their CPU from the heal on is the figure. The first replay's figure is reported too
// ("cold"), and so is every pass.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { decodeEvent } from '../packages/dag/src/index.ts';
import { createDevice } from '../packages/merge/src/index.ts';
import type { DeviceRuntime, DeviceView, Effects, RetentionPolicy } from '../packages/merge/src/index.ts';
import { createDeviceRandom } from '../packages/sim/src/index.ts';
import type { DeviceCall } from '../packages/sim/src/index.ts';
import { cpuNowUs } from './harness.ts';

const CHILD_FLAG = '--weft-heal-replay';

/** What the replay needs to rebuild the device exactly as the runner built it. */
export interface ReplayInput {
  readonly id: string;
  readonly seed: number;
  readonly suite: number;
  readonly rebaseIntervalMs?: number;
  readonly retention?: RetentionPolicy;
  /** Every call the runner made into the device, in order. */
  readonly calls: readonly DeviceCall[];
  /** Index of the first call made after the heal: CPU is measured from here on. */
  readonly measureFrom: number;
  /** Measured passes after the warm-up pass (default 3); the figure is their median. */
  readonly passes?: number;
}

/** What the isolated replay measured. */
export interface ReplayOutput {
  /** CPU ms of the calls from measureFrom on (process user + system, as the runner measures), warm code: the median pass. */
  readonly cpuMs: number;
  /** That figure for every measured pass. */
  readonly passesCpuMs: number[];
  /** The same on the first (cold: code not yet optimised) replay. */
  readonly coldCpuMs: number;
  /** Slowest single measured call, CPU ms. */
  readonly slowestCallMs: number;
  /** GC pause ms (PerformanceObserver 'gc', wall clock) that fell inside the measured calls. */
  readonly gcMs: number;
  /** CIDs (string form) of everything the device published, in order, from the first call. */
  readonly published: string[];
  /** The device's head, tree hash and exporter secret after the last call. */
  readonly view: Pick<DeviceView, 'head' | 'treeHash' | 'exporter'>;
  /** Errors a call threw (none when the replay is faithful). */
  readonly errors: string[];
}

/** Runs the replay of one device in a fresh child process and resolves with its figures. */
export function replayInChild(input: ReplayInput): Promise<ReplayOutput> {
  return new Promise((resolve, reject) => {
    // Same node and loader flags as this process (tsx), plus gc() between the two replays.
    const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], { execArgv: [...process.execArgv, '--expose-gc'], serialization: 'advanced' });
    let out: ReplayOutput | null = null;
    child.once('message', (m) => (out = m as ReplayOutput));
    child.once('error', reject);
    child.once('exit', (code) => (out && code === 0 ? resolve(out) : reject(new Error(`replay of ${input.id} exited with code ${code}`))));
    child.send(input);
  });
}

function invoke(device: DeviceRuntime, call: DeviceCall): Effects | null {
  switch (call.method) {
    case 'createKeyPackage':
      device.createKeyPackage();
      return null;
    case 'offerKeyPackage':
      device.offerKeyPackage?.(call.keyPackage);
      return null;
    case 'createGroup':
      return device.createGroup(call.now);
    case 'add':
      return device.add([...call.keyPackages], call.now);
    case 'remove':
      return device.remove([...call.identities], call.now);
    case 'update':
      return device.update(call.now);
    case 'send':
      return device.send(call.text, call.now);
    case 'ingest':
      return device.ingest(call.event, call.now);
    case 'tick':
      return device.tick(call.now);
    case 'keyshare':
      throw new Error(`a keyshare call (${call.what}) cannot be replayed from the record`);
  }
}

interface OnePass {
  cpuMs: number;
  slowestCallMs: number;
  windows: { start: number; end: number }[];
  published: string[];
  view: Pick<DeviceView, 'head' | 'treeHash' | 'exporter'>;
  errors: string[];
}

function replayOnce(input: ReplayInput): OnePass {
  const device = createDevice({
    id: input.id,
    suite: input.suite as 1,
    provider: 'node',
    random: createDeviceRandom(input.seed, input.id),
    ...(input.retention ? { retention: input.retention } : {}),
    ...(input.rebaseIntervalMs !== undefined ? { rebaseIntervalMs: input.rebaseIntervalMs } : {}),
  });
  const pass: OnePass = { cpuMs: 0, slowestCallMs: 0, windows: [], published: [], view: { head: null, treeHash: null, exporter: null }, errors: [] };
  for (const [i, call] of input.calls.entries()) {
    const w0 = performance.now();
    const t0 = cpuNowUs() / 1000;
    let fx: Effects | null = null;
    try {
      fx = invoke(device, call);
    } catch (e) {
      pass.errors.push(`${call.method} #${i}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (i >= input.measureFrom) {
      const spent = cpuNowUs() / 1000 - t0;
      pass.cpuMs += spent;
      pass.slowestCallMs = Math.max(pass.slowestCallMs, spent);
      pass.windows.push({ start: w0, end: performance.now() });
    }
    for (const bytes of fx?.publish ?? []) pass.published.push(decodeEvent(bytes).cid.toString());
  }
  const v = device.view();
  pass.view = { head: v.head, treeHash: v.treeHash, exporter: v.exporter };
  return pass;
}

async function runReplay(input: ReplayInput): Promise<ReplayOutput> {
  const cold = replayOnce(input);
  const gc: { start: number; end: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  const warm: OnePass[] = [];
  for (let i = 0; i < Math.max(1, input.passes ?? 3); i++) {
    (globalThis as { gc?: () => void }).gc?.(); // earlier passes' garbage is not this device's (--expose-gc)
    warm.push(replayOnce(input));
  }
  await new Promise((r) => setTimeout(r, 10)); // GC entries arrive asynchronously
  observer.disconnect();
  // The median pass: robust to a burst of other load on the machine, yet not the best case.
  const mid = [...warm].sort((a, b) => a.cpuMs - b.cpuMs)[Math.floor((warm.length - 1) / 2)] as OnePass;
  let gcMs = 0;
  for (const w of mid.windows) for (const g of gc) gcMs += Math.max(0, Math.min(w.end, g.end) - Math.max(w.start, g.start));
  const errors = [...cold.errors, ...warm.flatMap((p) => p.errors)];
  if (warm.some((p) => p.published.join() !== cold.published.join() || p.view.exporter !== cold.view.exporter)) errors.push('the replay passes did not all publish the same events and end in the same state');
  return {
    cpuMs: mid.cpuMs,
    passesCpuMs: warm.map((p) => p.cpuMs),
    coldCpuMs: cold.cpuMs,
    slowestCallMs: mid.slowestCallMs,
    gcMs,
    published: mid.published,
    view: mid.view,
    errors,
  };
}

if (process.argv.includes(CHILD_FLAG) && process.send) {
  process.once('message', (input) => {
    void runReplay(input as ReplayInput).then((out) => process.send?.(out, () => process.exit(0)));
  });
}
