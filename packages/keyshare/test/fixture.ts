// A real MLS group for keyshare tests: a founds the group and adds b, c and d (epoch 1); a and b
// send application messages in epoch 1; then a adds x (epoch 2). d joined from the Welcome but
// holds no keys for epoch 1 (its world for it was never built, as for a device whose Welcome
// crossed a partition late, or was evicted), so it asks. x joined later than epoch 1 and was never
// a member of it. Epoch and message CIDs stand in for the DAG's (keyshare only needs them as names).
import { getCipherSuite, type CipherSuite } from '@weft/crypto';
import { toHex, utf8 } from '@weft/codec';
import { computeCid, type CID } from '@weft/dag';
import {
  createCommit,
  createGroup,
  createKeyPackage,
  encryptApplicationMessage,
  joinFromWelcome,
  type GroupState,
  type KeyPackageBundle,
  type RetiredEpoch,
} from '@weft/tree';
import * as dagCbor from '@ipld/dag-cbor';
import { CID as CidValue } from 'multiformats/cid';
import {
  createAnswererState,
  createDefaultPolicy,
  createDeviceIdentity,
  createRequesterState,
  defaultRequesterOptions,
  type AnswererDeps,
  type DeviceIdentity,
  type EpochKeys,
  type EpochView,
  type KeysharePolicy,
  type MembershipOracle,
  type RequesterDeps,
  type TrustView,
} from '../src/index.ts';

export const cs: CipherSuite = getCipherSuite(1, 'node');

/** A deterministic random source for request ids. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}

export interface Device {
  readonly name: string;
  readonly kp: KeyPackageBundle;
  readonly identity: DeviceIdentity;
  readonly key: Uint8Array;
}

function device(name: string): Device {
  const kp = createKeyPackage(cs, { credential: { credentialType: 'basic', identity: utf8(name) } });
  const identity = createDeviceIdentity(cs, { user: utf8(name), created: 1000, signaturePrivateKey: kp.privateKeys.signaturePrivateKey });
  return { name, kp, identity, key: identity.binding.sigKey };
}

export interface HeldMessage {
  readonly cid: CID;
  readonly bytes: Uint8Array;
  readonly sender: number;
  readonly text: string;
}

export interface World {
  readonly group: CID;
  readonly epoch1: CID;
  readonly epoch2: CID;
  readonly a: Device;
  readonly b: Device;
  readonly c: Device;
  readonly d: Device;
  /** A device added in epoch 2: never a member of epoch 1. */
  readonly x: Device;
  /** A device never in the group. */
  readonly y: Device;
  /** d's epoch-1 state from its Welcome (tests use it only to compare; d asks as if it had none). */
  readonly dEpoch1: GroupState;
  /** a's messages (leaf 0, generations 0..3) and b's (leaf 1, generation 0), all in epoch 1. */
  readonly fromA: readonly HeldMessage[];
  readonly fromB: readonly HeldMessage[];
  /** c's epoch-1 state: c never read a message, so its secret tree still holds every key. */
  readonly cEpoch1: GroupState;
  /** a's retired epoch 1 (a's own keys 0..3 are used up). */
  readonly aRetired: RetiredEpoch;
  readonly view1: EpochView;
  readonly messages: ReadonlyMap<string, Uint8Array>;
}

const fakeCid = (label: string): CID => computeCid(dagCbor.encode({ label }));

/** Builds the group and its epoch-1 history. */
export function buildWorld(): World {
  const [a, b, c, d, x, y] = ['a', 'b', 'c', 'd', 'x', 'y'].map(device) as [Device, Device, Device, Device, Device, Device];
  let as: GroupState = createGroup(cs, {
    leafNode: a.kp.keyPackage.leafNode,
    encryptionPrivateKey: a.kp.privateKeys.encryptionPrivateKey,
    signaturePrivateKey: a.kp.privateKeys.signaturePrivateKey,
  });
  const add = createCommit(as, { add: [b.kp.keyPackage, c.kp.keyPackage, d.kp.keyPackage] });
  as = add.state;
  if (!add.welcome) throw new Error('no welcome');
  let bs = joinFromWelcome(cs, add.welcome, b.kp);
  const cs1 = joinFromWelcome(cs, add.welcome, c.kp);
  const ds1 = joinFromWelcome(cs, add.welcome, d.kp);
  const group = fakeCid('genesis');
  const epoch1 = fakeCid('epoch 1');
  const epoch2 = fakeCid('epoch 2');
  const messages = new Map<string, Uint8Array>();
  const held = (bytes: Uint8Array, sender: number, text: string): HeldMessage => {
    const cid = computeCid(bytes);
    messages.set(cid.toString(), bytes);
    return { cid, bytes, sender, text };
  };
  const fromA: HeldMessage[] = [];
  for (let i = 0; i < 4; i++) {
    const text = `a says ${i}`;
    const out = encryptApplicationMessage(as, utf8(text));
    as = out.state;
    fromA.push(held(out.message, 0, text));
  }
  const outB = encryptApplicationMessage(bs, utf8('b says hi'));
  bs = outB.state;
  const fromB = [held(outB.message, 1, 'b says hi')];
  const view1: EpochView = {
    groupId: cs1.groupContext.groupId,
    epoch: cs1.groupContext.epoch,
    leafCount: cs1.tree.leafCount,
    groupContext: cs1.framing.groupContext,
    signatureKeyOf: (leaf) => cs1.tree.leaves[leaf]?.signatureKey ?? null,
  };
  const addX = createCommit(as, { add: [x.kp.keyPackage] });
  return { group, epoch1, epoch2, a, b, c, d, x, y, dEpoch1: ds1, fromA, fromB, cEpoch1: cs1, aRetired: addX.retired, view1, messages };
}

/** Epoch keys of a group state (what a device's world would hand to keyshare). */
export function epochKeysOf(s: GroupState): EpochKeys {
  return { groupId: s.groupContext.groupId, epoch: s.groupContext.epoch, secretTree: s.secretTree, senderDataSecret: s.epochSecrets.senderDataSecret };
}

/** A membership oracle over explicit sets of device keys. */
export function createOracle(w: World, opts: { epoch1?: Device[]; head?: Device[] } = {}): MembershipOracle {
  const e1 = new Map((opts.epoch1 ?? [w.a, w.b, w.c, w.d]).map((dev) => [toHex(dev.key), dev]));
  const leaves = [w.a, w.b, w.c, w.d, w.x];
  const e2 = new Set(leaves.map((dev) => toHex(dev.key)));
  const head = new Set((opts.head ?? leaves).map((dev) => toHex(dev.key)));
  return {
    wasMemberOfEpoch: (_g, epoch, key) => (epoch.equals(w.epoch1) ? e1.has(toHex(key)) : epoch.equals(w.epoch2) ? e2.has(toHex(key)) : false),
    isMemberOfCanonicalHead: (_g, key) => head.has(toHex(key)),
    leafOf: (_g, epoch, key) => {
      const i = leaves.findIndex((dev) => toHex(dev.key) === toHex(key));
      if (i < 0 || (epoch.equals(w.epoch1) && i > 3)) return null;
      return i;
    },
  };
}

/** Trust over a fixed set of devices. */
export function trustOf(...devices: Device[]): TrustView {
  const set = new Set(devices.map((dev) => toHex(dev.key)));
  return { isTrusted: (key) => set.has(toHex(key)) };
}

/** Answerer deps for `me` holding epoch 1 as `keys`. */
export function answererDeps(
  w: World,
  me: Device,
  over: { keys?: EpochKeys | 'evicted' | null; policy?: Partial<KeysharePolicy>; membership?: MembershipOracle; trust?: TrustView } = {},
): AnswererDeps {
  const keys = over.keys === undefined ? epochKeysOf(w.cEpoch1) : over.keys;
  return {
    cs,
    identity: me.identity,
    policy: createDefaultPolicy(over.policy ?? {}),
    membership: over.membership ?? createOracle(w),
    trust: over.trust ?? trustOf(w.d, w.b, w.a, w.c, w.x, w.y),
    keys: { getEpochKeys: (_g, epoch) => (epoch.equals(w.epoch1) ? keys : null) },
  };
}

/** Requester deps for `me`. */
export function requesterDeps(w: World, me: Device, over: { membership?: MembershipOracle; seed?: number } = {}): RequesterDeps {
  return {
    cs,
    identity: me.identity,
    membership: over.membership ?? createOracle(w),
    epochs: { getEpochView: (_g, epoch) => (epoch.equals(w.epoch1) ? w.view1 : null) },
    options: defaultRequesterOptions,
    random: seededRandom(over.seed ?? 7),
  };
}

export const freshAnswerer = createAnswererState;
export const freshRequester = createRequesterState;

/** A comparable picture of any state: maps, bytes and CIDs made plain. */
export function snapshot(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Map) return { map: [...v.entries()] };
    if (v instanceof Uint8Array) return `bytes:${toHex(v)}`;
    const cid = CidValue.asCID(v);
    if (cid) return `cid:${cid.toString()}`;
    return v;
  });
}
