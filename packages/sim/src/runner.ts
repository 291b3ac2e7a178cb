// Runs a scenario: builds the sites (DagStore replicas + DagSync) and devices (the engine under
// test), plays the steps on the discrete-event scheduler, runs until the network is quiet, and
// collects everything the report and the invariant checks need. No wall clock decides anything:
// process.cpuUsage() only measures the CPU time devices spend, which is reported, never used.

import { performance } from 'node:perf_hooks';
import { createSuiteResolver, decodeEvent, DagSync, openMemoryStore } from '@weft/dag';
import type { CID, EventBlock, EventKind } from '@weft/dag';
import type { ProviderName } from '@weft/crypto';
import type { DeviceRuntime, DeviceView, Effects, Engine } from './engine.ts';
import { Network } from './network.ts';
import type { NetworkStats } from './network.ts';
import { createDeviceRandom, createRandom } from './random.ts';
import type { PublicResolution } from './resolver.ts';
import type { Scenario, Step } from './scenario.ts';
import { Scheduler } from './scheduler.ts';
import type { StopReason } from './scheduler.ts';
import { measureSyncMessage, Site } from './site.ts';
import { KeyshareDriver, type KeyshareRunData } from './keyshareDriver.ts';
import type { SiteRejection } from './site.ts';

/** Options of one run. */
export interface RunOptions {
  readonly engine: Engine;
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  readonly provider?: ProviderName;
  /** Receives one line per step and per device error, for debugging. */
  readonly trace?: (line: string) => void;
  /** Receives every call the runner makes into a device, with its arguments and its cost (benchmarks replay and audit devices with it). */
  readonly onDeviceCall?: (record: DeviceCallRecord) => void;
}

/** One call into a device runtime, with the arguments needed to replay it on a fresh device. */
export type DeviceCall =
  | { readonly method: 'createKeyPackage' }
  | { readonly method: 'offerKeyPackage'; readonly keyPackage: Uint8Array }
  | { readonly method: 'createGroup'; readonly now: number }
  | { readonly method: 'add'; readonly keyPackages: readonly Uint8Array[]; readonly now: number }
  | { readonly method: 'remove'; readonly identities: readonly string[]; readonly now: number }
  | { readonly method: 'update'; readonly now: number }
  | { readonly method: 'send'; readonly text: string; readonly now: number }
  | { readonly method: 'ingest'; readonly event: Uint8Array; readonly now: number }
  | { readonly method: 'tick'; readonly now: number }
  /** A call made through a keyshare layer (not replayable from the record alone). */
  | { readonly method: 'keyshare'; readonly what: string };

/** A device call as the runner saw it: what, when, and the CPU it was charged. */
export interface DeviceCallRecord {
  readonly device: string;
  readonly call: DeviceCall;
  /** Simulated ms of the call. */
  readonly at: number;
  /** CPU ms charged to the device for it (absent for the uncharged setup calls: KeyPackage directory). */
  readonly cpuMs?: number;
  /** Heal steps and device returns before the call (RunResult.heals.length at the call). */
  readonly heals: number;
  /** performance.now() at the start and end of the call (to line it up with GC entries). */
  readonly wallStart: number;
  readonly wallEnd: number;
}

/** An event a device published. */
export interface PublishedEvent {
  readonly cid: string;
  readonly kind: EventKind;
  readonly author: string;
  readonly base?: string;
  readonly resolves: readonly string[];
  readonly bytes: number;
  readonly at: number;
  /** Index of the operation that produced it; absent for events made by ingest or tick (rebases). */
  readonly op?: number;
}

/** One scenario step that asked a device to do something. */
export interface OperationRecord {
  readonly step: number;
  readonly label: string;
  readonly kind: Step['do'];
  readonly by: string;
  readonly at: number;
  readonly members?: readonly string[];
  readonly text?: string;
  /** CIDs of the events it published. */
  readonly published: string[];
  /** Why the engine refused it, if it did. */
  error?: string;
}

/** An application message a device sent. */
export interface SentMessage {
  readonly cid: string;
  readonly label: string;
  readonly sender: string;
  readonly text: string;
  readonly epoch: string;
  readonly at: number;
  /** Run-wide sequence number of the send (compare with DeviceOutcome.seenAt). */
  readonly seq: number;
}

/** A device at the end of the run. */
export interface DeviceOutcome {
  readonly id: string;
  readonly site: string;
  readonly online: boolean;
  readonly view: DeviceView;
  /** CPU ms spent inside the device's engine calls. */
  readonly cpuMs: number;
  /** The part of cpuMs spent since the last heal step (the cost of healing, for benchmarks). */
  readonly cpuMsSinceHeal: number;
  /** CIDs the device authored or was handed (for "knew of the removal"). */
  readonly seen: ReadonlySet<string>;
  /** When the device first saw each CID, as a run-wide sequence number (orders same-time events). */
  readonly seenAt: ReadonlyMap<string, number>;
  /** Engine extension: 'held' or why the device has no world for an epoch (null: unknown). */
  readonly worldStatus?: (epoch: string) => string | null;
}

/** A site at the end of the run. */
export interface SiteOutcome {
  readonly name: string;
  readonly heads: readonly string[];
  readonly events: number;
  readonly resolution: PublicResolution | null;
  readonly rejections: readonly SiteRejection[];
  readonly abandoned: readonly string[];
}

/** Everything a run produced. */
export interface RunResult {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly engine: string;
  readonly quiet: boolean;
  readonly stopReason: StopReason;
  readonly endTime: number;
  readonly schedulerSteps: number;
  readonly group: string | null;
  readonly devices: readonly DeviceOutcome[];
  readonly sites: readonly SiteOutcome[];
  readonly published: readonly PublishedEvent[];
  readonly operations: readonly OperationRecord[];
  readonly messages: readonly SentMessage[];
  /** Engine exceptions or refusals while ingesting or ticking (should be none). */
  readonly deviceErrors: readonly string[];
  /** Events devices rejected on ingest (typed reasons from the engine). */
  readonly deviceRejections: readonly string[];
  /** Times of heal steps and of devices coming back online. */
  readonly heals: readonly number[];
  /** Events of the group at the first site, topological order (for the DAG picture). */
  readonly blocks: readonly EventBlock[];
  /** Base epoch of every commit at the first site (epoch CID -> base CID). */
  readonly bases: ReadonlyMap<string, string>;
  readonly network: NetworkStats;
  /** What keyshare did (only when the scenario turns keyshare on). */
  readonly keyshare?: KeyshareRunData;
}

/** Process CPU time (user + system) in ms: unlike wall time, not inflated by other load on the machine. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

class DeviceHost {
  online = true;
  outbox: Uint8Array[] = [];
  backlog: EventBlock[] = [];
  upAt = 0;
  downAt = 0;
  cpuMs = 0;
  cpuMsAtHeal = 0;
  readonly seen = new Set<string>();
  readonly seenAt = new Map<string, number>();
  readonly wakes = new Set<number>();
  constructor(
    readonly id: string,
    readonly site: string,
    readonly runtime: DeviceRuntime,
  ) {}
  see(cid: string, seq: number): void {
    if (this.seen.has(cid)) return;
    this.seen.add(cid);
    this.seenAt.set(cid, seq);
  }
}

/** Runs one scenario with one engine and returns the raw outcome. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  const seed = options.seed ?? scenario.seed;
  const scheduler = new Scheduler();
  const net = new Network(scheduler, createRandom(seed, 'network'), scenario.sites, scenario.network, scenario.network.links);
  const trace = options.trace ?? (() => undefined);
  const published: PublishedEvent[] = [];
  const operations: OperationRecord[] = [];
  const messages: SentMessage[] = [];
  const deviceErrors: string[] = [];
  const deviceRejections: string[] = [];
  const heals: number[] = [];
  let group: CID | null = null;
  let sequence = 0; // orders what devices saw and sent, even within one simulated millisecond

  // Keyshare (off unless the scenario turns it on) wraps each device in a keyshare layer.
  const keyshare = scenario.keyshare ? new KeyshareDriver(scenario, scenario.keyshare, options.provider ?? 'node', seed) : null;
  const engine = keyshare ? keyshare.wrapEngine(options.engine) : options.engine;
  const hosts = new Map<string, DeviceHost>();
  for (const [id, site] of Object.entries(scenario.devices)) {
    const runtime = engine.createDevice({
      id,
      suite: scenario.suite,
      provider: options.provider ?? 'node',
      random: createDeviceRandom(seed, id),
      ...(scenario.retention ? { retention: scenario.retention } : {}),
      ...(scenario.rebaseIntervalMs !== undefined ? { rebaseIntervalMs: scenario.rebaseIntervalMs } : {}),
    });
    hosts.set(id, new DeviceHost(id, site, runtime));
  }
  const host = (id: string): DeviceHost => hosts.get(id)!;
  // The KeyPackage directory (for re-adds by rebase commits): one KeyPackage of every device, known
  // to every other device; each add operation's fresh KeyPackages replace the entries.
  const onDeviceCall = options.onDeviceCall;
  /** Hands an uncharged setup call to onDeviceCall (only when someone listens). */
  const recordSetup = (h: DeviceHost, call: DeviceCall, run: () => void): void => {
    if (!onDeviceCall) return run();
    const wallStart = performance.now();
    run();
    onDeviceCall({ device: h.id, call, at: scheduler.now, heals: heals.length, wallStart, wallEnd: performance.now() });
  };
  const publishKeyPackage = (owner: string, kp: Uint8Array): void => {
    for (const h of hosts.values()) {
      if (h.id !== owner && h.runtime.offerKeyPackage) recordSetup(h, { method: 'offerKeyPackage', keyPackage: kp }, () => h.runtime.offerKeyPackage?.(kp));
    }
  };
  if ([...hosts.values()].some((h) => h.runtime.offerKeyPackage !== undefined)) {
    for (const h of hosts.values()) {
      let kp: Uint8Array | undefined;
      recordSetup(h, { method: 'createKeyPackage' }, () => (kp = h.runtime.createKeyPackage()));
      if (kp) publishKeyPackage(h.id, kp);
    }
  }

  const sites = new Map<string, Site>();
  for (const name of scenario.sites) {
    // Sites run the membership check of DESIGN.md section 3 before storing a handshake.
    const authorizer = options.engine.createSiteAuthorizer?.();
    const store = await openMemoryStore({ resolveSuite: createSuiteResolver(options.provider ?? 'node'), ...(authorizer ? { authorize: authorizer.hook } : {}) });
    authorizer?.attach(store);
    const peers = scenario.sites.filter((s) => s !== name);
    const devices = [...hosts.values()].filter((h) => h.site === name).map((h) => h.id);
    const site = new Site(name, store, new DagSync(store), peers, devices, scenario.network.syncIntervalMs, {
      now: () => scheduler.now,
      schedule: (at, label, run) => scheduler.schedule(at, label, run),
      isConnected: (peer) => net.isConnected(name, peer),
      sendToPeer: (peer, message) =>
        net.sendSite(name, peer, measureSyncMessage(message), `${message.type} ${name}->${peer}`, () => sites.get(peer)!.receiveFromPeer(name, message)),
      relayToDevice: (device, block) => sendDown(host(device), block),
    });
    sites.set(name, site);
  }

  await keyshare?.attach(
    {
      now: () => scheduler.now,
      schedule: (at, label, run) => scheduler.schedule(at, label, run),
      isConnected: (a, b) => net.isConnected(a, b),
      linkProfile: (a, b) => net.linkProfile(a, b),
      deviceLatency: scenario.network.deviceLatency,
      isOnline: (device) => host(device).online,
      callDevice: (device, what, fn) => void call(host(device), { method: 'keyshare', what }, fn),
    },
    scenario.sites,
  );

  // Device <-> own site hops: reliable and in order per direction; an offline device's traffic waits.
  const sendUp = (h: DeviceHost, bytes: Uint8Array): void => {
    if (!h.online) {
      h.outbox.push(bytes);
      return;
    }
    h.upAt = Math.max(h.upAt, scheduler.now + net.drawDeviceLatency(scenario.network.deviceLatency));
    scheduler.schedule(h.upAt, `up ${h.id}`, async () => {
      await sites.get(h.site)!.receiveFromDevice(h.id, bytes);
    });
  };
  const sendDown = (h: DeviceHost, block: EventBlock): void => {
    if (!h.online) {
      h.backlog.push(block);
      return;
    }
    h.downAt = Math.max(h.downAt, scheduler.now + net.drawDeviceLatency(scenario.network.deviceLatency));
    scheduler.schedule(h.downAt, `down ${h.id}`, () => {
      if (!h.online) {
        h.backlog.push(block);
        return;
      }
      h.see(block.cid.toString(), ++sequence);
      call(h, { method: 'ingest', event: block.bytes, now: scheduler.now }, () => h.runtime.ingest(block.bytes, scheduler.now));
    });
  };
  const wake = (h: DeviceHost, at: number): void => {
    if (h.wakes.has(at)) return;
    h.wakes.add(at);
    scheduler.schedule(at, `tick ${h.id}`, () => {
      h.wakes.delete(at);
      call(h, { method: 'tick', now: scheduler.now }, () => h.runtime.tick(scheduler.now));
    });
  };

  /** Runs one engine call, charging its CPU time to the device; returns false when it threw. */
  const call = (h: DeviceHost, recorded: DeviceCall, fn: () => Effects, op?: OperationRecord, opIndex?: number): boolean => {
    const what = recorded.method === 'keyshare' ? recorded.what : recorded.method === 'createGroup' ? 'create' : recorded.method;
    let effects: Effects;
    const wallStart = onDeviceCall ? performance.now() : 0;
    const t0 = cpuNow();
    try {
      effects = fn();
    } catch (e) {
      const msg = e instanceof Error ? `${e.name === 'Error' ? '' : e.name + ': '}${e.message}` : String(e);
      if (op) op.error = msg;
      else deviceErrors.push(`${h.id} ${what} at ${scheduler.now}: ${msg}`);
      trace(`! ${h.id} ${what}: ${msg}`);
      return false;
    } finally {
      const spent = cpuNow() - t0;
      h.cpuMs += spent;
      onDeviceCall?.({ device: h.id, call: recorded, at: scheduler.now, cpuMs: spent, heals: heals.length, wallStart, wallEnd: performance.now() });
    }
    for (const bytes of effects.publish) {
      const checked = decodeEvent(bytes);
      const cid = checked.cid.toString();
      const ev = checked.event;
      if (ev.kind === 'genesis') group = checked.cid;
      published.push({
        cid,
        kind: ev.kind,
        author: h.id,
        ...(ev.base ? { base: ev.base.toString() } : {}),
        resolves: (ev.resolves ?? []).map(String),
        bytes: bytes.length,
        at: scheduler.now,
        ...(opIndex !== undefined ? { op: opIndex } : {}),
      });
      h.see(cid, ++sequence);
      if (op) op.published.push(cid);
      if (ev.kind === 'message' && op?.kind === 'send' && ev.base) {
        messages.push({ cid, label: op.label, sender: h.id, text: op.text ?? '', epoch: ev.base.toString(), at: scheduler.now, seq: sequence });
      }
      sendUp(h, bytes);
    }
    if (keyshare && effects.deviceMessages && effects.deviceMessages.length > 0) keyshare.fromDevice(h.id, effects.deviceMessages);
    for (const r of effects.rejected ?? []) if (what !== 'keyshare') deviceRejections.push(`${h.id} ${what} at ${scheduler.now}: ${r.code}: ${r.message}`);
    if (effects.wakeAt !== undefined) wake(h, effects.wakeAt);
    if (effects.refused) {
      const msg = `${effects.refused.code}: ${effects.refused.message}`;
      if (op) op.error = msg;
      else deviceErrors.push(`${h.id} ${what} at ${scheduler.now} refused: ${msg}`);
      trace(`! ${h.id} ${what} refused: ${msg}`);
      return false;
    }
    return true;
  };

  const perform = (step: Step, index: number): void => {
    const now = scheduler.now;
    trace(`${now} ${JSON.stringify(step)}`);
    switch (step.do) {
      case 'partition':
        net.partition(step.groups);
        return;
      case 'heal':
        heals.push(now);
        for (const h of hosts.values()) h.cpuMsAtHeal = h.cpuMs;
        for (const [a, b] of net.heal()) {
          sites.get(a)!.linkUp(b);
          sites.get(b)!.linkUp(a);
          keyshare?.linkUp(a, b);
        }
        return;
      case 'cut':
        net.cut(step.between[0], step.between[1]);
        return;
      case 'restore': {
        const [a, b] = step.between;
        if (net.restore(a, b)) {
          heals.push(now);
          sites.get(a)!.linkUp(b);
          sites.get(b)!.linkUp(a);
          keyshare?.linkUp(a, b);
        }
        return;
      }
      case 'offline':
        host(step.device).online = false;
        return;
      case 'online': {
        const h = host(step.device);
        if (h.online) return;
        h.online = true;
        heals.push(now);
        const outbox = h.outbox.splice(0);
        const backlog = h.backlog.splice(0);
        for (const b of outbox) sendUp(h, b);
        for (const b of backlog) sendDown(h, b);
        keyshare?.online(h.id);
        return;
      }
      case 'settle':
        return;
      default:
        break;
    }
    const h = host(step.by);
    const op: OperationRecord = {
      step: index,
      label: step.id ?? `${step.do}:${step.by}#${index}`,
      kind: step.do,
      by: step.by,
      at: now,
      published: [],
      ...('members' in step ? { members: step.members } : {}),
      ...(step.do === 'send' ? { text: step.text } : {}),
    };
    const opIndex = operations.push(op) - 1;
    switch (step.do) {
      case 'create':
        call(h, { method: 'createGroup', now }, () => h.runtime.createGroup(now), op, opIndex);
        return;
      case 'add': {
        const kps: Uint8Array[] = [];
        for (const m of step.members) {
          const mh = host(m);
          const wallStart = onDeviceCall ? performance.now() : 0;
          const t0 = cpuNow();
          let kp: Uint8Array;
          try {
            kp = mh.runtime.createKeyPackage();
          } catch (e) {
            op.error = `createKeyPackage(${m}): ${e instanceof Error ? e.message : String(e)}`;
            return;
          } finally {
            const spent = cpuNow() - t0;
            mh.cpuMs += spent;
            onDeviceCall?.({ device: mh.id, call: { method: 'createKeyPackage' }, at: now, cpuMs: spent, heals: heals.length, wallStart, wallEnd: performance.now() });
          }
          kps.push(kp);
          try {
            publishKeyPackage(m, kp); // charged to the devices it is offered to, not to m
          } catch (e) {
            op.error = `offerKeyPackage(${m}): ${e instanceof Error ? e.message : String(e)}`;
            return;
          }
        }
        call(h, { method: 'add', keyPackages: kps, now }, () => h.runtime.add(kps, now), op, opIndex);
        return;
      }
      case 'remove':
        call(h, { method: 'remove', identities: [...step.members], now }, () => h.runtime.remove([...step.members], now), op, opIndex);
        return;
      case 'update':
        call(h, { method: 'update', now }, () => h.runtime.update(now), op, opIndex);
        return;
      case 'send':
        call(h, { method: 'send', text: step.text, now }, () => h.runtime.send(step.text, now), op, opIndex);
        return;
      case 'ask': {
        const target = messages.find((m) => m.label === step.message);
        if (!keyshare || !target) {
          op.error = !keyshare ? 'keyshare is off' : `no message "${step.message}" was sent`;
          return;
        }
        call(h, { method: 'keyshare', what: 'ask' }, () => keyshare.ask(h.id, target.cid, now), op, opIndex);
        return;
      }
    }
  };

  const bounds = { maxTime: scenario.limits.maxTimeMs, maxSteps: scenario.limits.maxSteps };
  let stop: StopReason = 'quiet';
  let lastStepAt = 0;
  for (const [i, step] of scenario.steps.entries()) {
    const target = step.at ?? (step.delay !== undefined ? lastStepAt + step.delay : undefined);
    stop = await scheduler.run(target === undefined ? bounds : { ...bounds, until: target });
    if (stop === 'time_limit' || stop === 'step_limit') break;
    if (target !== undefined) scheduler.advanceTo(target);
    lastStepAt = scheduler.now;
    perform(step, i);
  }
  if (stop !== 'time_limit' && stop !== 'step_limit') stop = await scheduler.run(bounds);
  if (stop !== 'quiet') trace(`not quiet: ${stop}; next: ${scheduler.peekLabels().join(', ')}`);

  const siteOutcomes: SiteOutcome[] = [];
  let blocks: EventBlock[] = [];
  // Replicas with the same heads hold the same events, and resolution is a pure function of them,
  // so each distinct replica is resolved once.
  const resolved = new Map<string, PublicResolution | null>();
  for (const site of sites.values()) {
    let heads: string[] = [];
    let resolution: PublicResolution | null = null;
    let events = 0;
    if (group) {
      heads = (await site.store.getHeads(group)).map(String);
      const list: EventBlock[] = [];
      for await (const b of site.store.iterateBlocks(group)) list.push(b);
      events = list.length;
      const key = heads.join(',');
      if (!resolved.has(key)) resolved.set(key, list.length > 0 ? options.engine.resolve(list) : null);
      resolution = resolved.get(key) ?? null;
      if (blocks.length === 0) blocks = list;
    }
    siteOutcomes.push({ name: site.name, heads, events, resolution, rejections: site.rejections, abandoned: site.abandoned });
    await site.store.close();
  }
  const devices: DeviceOutcome[] = [...hosts.values()].map((h) => {
    const runtime = h.runtime;
    return {
      id: h.id,
      site: h.site,
      online: h.online,
      view: h.runtime.view(),
      cpuMs: h.cpuMs,
      cpuMsSinceHeal: h.cpuMs - h.cpuMsAtHeal,
      seen: h.seen,
      seenAt: h.seenAt,
      ...(runtime.getWorldStatus ? { worldStatus: (epoch: string) => runtime.getWorldStatus?.(epoch) ?? null } : {}),
    };
  });
  const bases = new Map<string, string>();
  for (const b of blocks) {
    const { event } = decodeEvent(b.bytes, b.cid);
    if (event.kind === 'commit' && event.base) bases.set(b.cid.toString(), event.base.toString());
  }
  return {
    scenario,
    seed,
    engine: options.engine.name,
    quiet: stop === 'quiet',
    stopReason: stop,
    endTime: scheduler.now,
    schedulerSteps: scheduler.steps,
    group: group ? (group as CID).toString() : null,
    devices,
    sites: siteOutcomes,
    published,
    operations,
    messages,
    deviceErrors,
    deviceRejections,
    heals,
    blocks,
    bases,
    network: { ...net.stats },
    ...(keyshare ? { keyshare: keyshare.collect() } : {}),
  };
}
