// Drives keyshare in a run: builds keyshare devices (a @weft/keyshare layer over each @weft/merge
// device) with the scenario's trust and policy, carries their device messages over the device's
// own site and the sites' store-and-forward relays (deviceRelay.ts), and records what crossed the
// wire: who asked whom, what was answered or withheld, and every answer handed to a device (the
// report checks those against public membership, independently of the keyshare layer).

import { getCipherSuite, type CipherSuite, type ProviderName } from '@weft/crypto';
import { toHex } from '@weft/codec';
import {
  createDefaultPolicy,
  createKeyshareDevice,
  createMemoryKeyshareDb,
  decodeKeyshareMessage,
  TrustStore,
  type KeyshareDevice,
  type KeyshareLogEntry,
  type RecoveredMessage,
  type UnreadableMessage,
} from '@weft/keyshare';
import type { DeviceMessage, Effects, Engine } from './engine.ts';
import { DeviceRelay, type RelayedMessage } from './deviceRelay.ts';
import type { LinkProfile } from './network.ts';
import { createDeviceRandom, createRandom, type SimRandom } from './random.ts';
import type { KeyshareSpec } from './keyshareScenario.ts';
import type { Scenario } from './scenario.ts';

/** One keyshare message a device sent, as the simulator saw it on the wire. */
export interface WireRecord {
  /** Simulated ms it left the sending device, and when it reached the recipient (null: never). */
  readonly at: number;
  deliveredAt: number | null;
  readonly from: string;
  readonly to: string;
  readonly type: 'request' | 'answer' | 'withheld' | 'cancel';
  readonly epoch: string;
  /** Hex request id and attempt number (attempt absent on cancels). */
  readonly id: string;
  readonly attempt: number | null;
  /** Withheld reason. */
  readonly reason: string | null;
  /** Message CIDs a request names. */
  readonly cids: readonly string[];
  readonly bytes: Uint8Array;
}

/** What keyshare did in a run (raw; report.ts turns it into the `keyshare` section). */
export interface KeyshareRunData {
  readonly spec: KeyshareSpec;
  readonly wire: readonly WireRecord[];
  readonly devices: readonly {
    readonly id: string;
    readonly deviceKey: string;
    readonly recovered: readonly RecoveredMessage[];
    readonly unreadable: readonly UnreadableMessage[];
    readonly log: readonly KeyshareLogEntry[];
  }[];
  readonly relays: readonly { readonly site: string; readonly forwarded: number; readonly delivered: number; readonly unroutable: number }[];
  /** The device runtimes at the end (tests replay recorded messages against them). */
  readonly runtimes: ReadonlyMap<string, KeyshareDevice>;
}

/** What the driver needs from the runner. */
export interface KeyshareEnvironment {
  now(): number;
  schedule(at: number, label: string, run: () => void | Promise<void>): void;
  isConnected(a: string, b: string): boolean;
  linkProfile(a: string, b: string): LinkProfile;
  readonly deviceLatency: readonly [number, number];
  isOnline(device: string): boolean;
  /** Runs a device call the way the runner runs every call (CPU accounting, effects, errors). */
  callDevice(device: string, what: string, fn: () => Effects): void;
}

interface Hop {
  upAt: number;
  downAt: number;
  readonly outbox: RelayedMessage[];
  readonly backlog: RelayedMessage[];
}

/** Keyshare for one run. */
export class KeyshareDriver {
  readonly spec: KeyshareSpec;
  readonly #scenario: Scenario;
  readonly #cs: CipherSuite;
  readonly #runtimes = new Map<string, KeyshareDevice>();
  readonly #stores = new Map<string, TrustStore>();
  readonly #byKey = new Map<string, string>();
  readonly #relays = new Map<string, DeviceRelay>();
  readonly #hops = new Map<string, Hop>();
  readonly #wire: WireRecord[] = [];
  readonly #pending = new Map<Uint8Array, WireRecord>();
  #env: KeyshareEnvironment | null = null;
  /** Keyshare's own stream (hops, loss), so the rest of the run draws what it would without keyshare. */
  readonly #random: SimRandom;
  readonly #seed: number;

  constructor(scenario: Scenario, spec: KeyshareSpec, provider: ProviderName, seed: number) {
    this.#scenario = scenario;
    this.spec = spec;
    this.#cs = getCipherSuite(scenario.suite, provider);
    this.#seed = seed;
    this.#random = createRandom(seed, 'keyshare');
  }

  /** The engine with keyshare devices in place of bare merge devices (same public resolver). */
  wrapEngine(base: Engine): Engine {
    const spec = this.spec;
    return {
      name: `${base.name} + @weft/keyshare`,
      resolve: base.resolve,
      createDevice: (options) => {
        const id = options.id;
        const device = createKeyshareDevice({
          device: options,
          // The trust store is filled in `attach` (level is asynchronous); until then nobody is trusted.
          trust: { isTrusted: (key) => this.#stores.get(id)?.isTrusted(key) ?? false },
          policy: createDefaultPolicy({
            isEnabled: () => !spec.policy.disabled.includes(id),
            historyPolicy: () => spec.policy.history,
            trustMembers: spec.trust === 'members',
            perRequester: spec.policy.perRequester,
            overall: spec.policy.overall,
          }),
          requester: { baseBackoffMs: spec.baseBackoffMs, maxBackoffMs: spec.maxBackoffMs, lifetimeMs: spec.lifetimeMs },
          askAfterMs: spec.askAfterMs,
          random: createDeviceRandom(this.#seed, `${id}/keyshare`),
          maxRounds: spec.maxRounds,
          reaskAfterMs: spec.reaskAfterMs,
        });
        this.#runtimes.set(id, device);
        this.#byKey.set(device.getDeviceKey(), id);
        return device;
      },
    };
  }

  /** Opens every device's trust store (verified devices per `trust`) and the sites' relays. */
  async attach(env: KeyshareEnvironment, sites: readonly string[]): Promise<void> {
    this.#env = env;
    for (const [id, device] of this.#runtimes) {
      const store = await TrustStore.open(createMemoryKeyshareDb(), this.#cs);
      const trust = this.spec.trust;
      for (const [other, od] of this.#runtimes) {
        if (other === id) continue;
        const verified = trust === 'all' || (typeof trust === 'object' && (trust[id]?.includes(other) ?? false));
        if (verified) await store.verifyDevice(od.identity.binding.bytes, 0);
      }
      this.#stores.set(id, store);
      this.#hops.set(id, { upAt: 0, downAt: 0, outbox: [], backlog: [] });
    }
    for (const site of sites) {
      const peers = sites.filter((s) => s !== site);
      this.#relays.set(
        site,
        new DeviceRelay(site, peers, {
          homeOf: (key) => {
            const d = this.#byKey.get(key);
            return d === undefined ? null : (this.#scenario.devices[d] ?? null);
          },
          isConnected: (peer) => env.isConnected(site, peer),
          sendToPeer: (peer, message) => this.#sendSite(site, peer, message),
          deliverLocal: (key, message) => this.#down(this.#byKey.get(key)!, message),
        }),
      );
    }
  }

  /** Device messages a device emitted: recorded, then carried to its own site. */
  fromDevice(device: string, messages: readonly DeviceMessage[]): void {
    for (const m of messages) {
      const record = this.#record(device, m);
      if (record) this.#pending.set(m.bytes, record);
      this.#up(device, m);
    }
  }

  /** A site-to-site link came up: both relays offer what they hold. */
  linkUp(a: string, b: string): void {
    this.#relays.get(a)?.linkUp(b);
    this.#relays.get(b)?.linkUp(a);
  }

  /** A device came back online: its queued device messages go up and down, in order. */
  online(device: string): void {
    const hop = this.#hops.get(device);
    if (!hop) return;
    for (const m of hop.outbox.splice(0)) this.#up(device, m);
    for (const m of hop.backlog.splice(0)) this.#down(device, m);
  }

  /** The `ask` step: `device` asks for the keys of the message `cid`. */
  ask(device: string, cid: string, now: number): Effects {
    const runtime = this.#runtimes.get(device);
    if (!runtime) return { publish: [], refused: { code: 'keyshare_off', message: 'this device has no keyshare layer' } };
    return runtime.requestMessage(cid, now);
  }

  /** Everything keyshare did in the run. */
  collect(): KeyshareRunData {
    return {
      spec: this.spec,
      wire: this.#wire,
      devices: [...this.#runtimes].map(([id, d]) => ({ id, deviceKey: d.getDeviceKey(), recovered: d.listRecovered(), unreadable: d.listUnreadable(), log: d.listKeyshareLog() })),
      relays: [...this.#relays.values()].map((r) => ({ site: r.site, forwarded: r.forwarded, delivered: r.delivered, unroutable: r.unroutable })),
      runtimes: this.#runtimes,
    };
  }

  /** Decodes a device message's public header for the wire log (the simulator's own view of it). */
  #record(from: string, m: DeviceMessage): WireRecord | null {
    let message;
    try {
      message = decodeKeyshareMessage(this.#cs, m.bytes).message;
    } catch {
      return null;
    }
    const record: WireRecord = {
      at: this.#env!.now(),
      deliveredAt: null,
      from,
      to: this.#byKey.get(m.to) ?? `?${m.to.slice(0, 8)}`,
      type: message.type,
      epoch: message.epoch.toString(),
      id: toHex(message.id),
      attempt: message.type === 'cancel' ? null : message.attempt,
      reason: message.type === 'withheld' ? message.reason : null,
      cids: message.type === 'request' && message.wanted.kind === 'messages' ? message.wanted.messages.map((x) => x.cid.toString()) : [],
      bytes: m.bytes,
    };
    this.#wire.push(record);
    return record;
  }

  /** A site-to-site hop with the link's latency and loss (keyshare's stream); dropped across a partition. */
  #sendSite(from: string, to: string, message: RelayedMessage): void {
    const env = this.#env!;
    if (!env.isConnected(from, to)) return;
    const link = env.linkProfile(from, to);
    const lossDraw = this.#random.nextFloat();
    const delay = this.#random.nextInt(link.latency[0], link.latency[1]);
    if (lossDraw < link.loss) return;
    env.schedule(env.now() + delay, `keyshare ${from}->${to}`, () => {
      if (env.isConnected(from, to)) this.#relays.get(to)!.receive(message, from);
    });
  }

  #up(device: string, m: RelayedMessage): void {
    const env = this.#env!;
    const hop = this.#hops.get(device)!;
    if (!env.isOnline(device)) {
      hop.outbox.push(m);
      return;
    }
    hop.upAt = Math.max(hop.upAt, env.now() + this.#random.nextInt(env.deviceLatency[0], env.deviceLatency[1]));
    const site = this.#scenario.devices[device]!;
    env.schedule(hop.upAt, `keyshare up ${device}`, () => this.#relays.get(site)!.receive(m, null));
  }

  #down(device: string, m: RelayedMessage): void {
    const env = this.#env!;
    const hop = this.#hops.get(device)!;
    if (!env.isOnline(device)) {
      hop.backlog.push(m);
      return;
    }
    hop.downAt = Math.max(hop.downAt, env.now() + this.#random.nextInt(env.deviceLatency[0], env.deviceLatency[1]));
    env.schedule(hop.downAt, `keyshare down ${device}`, () => {
      if (!env.isOnline(device)) {
        hop.backlog.push(m);
        return;
      }
      const record = this.#pending.get(m.bytes);
      if (record && record.deliveredAt === null) record.deliveredAt = env.now();
      const runtime = this.#runtimes.get(device)!;
      env.callDevice(device, 'keyshare', () => runtime.receiveDeviceMessage(m.bytes, env.now()));
    });
  }
}
