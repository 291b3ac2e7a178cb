// The contract between a device runtime (@weft/merge) and whatever drives it: the simulator,
// a client app, tests. A device is a pure-ish state machine: calls in, effects out. It never
// reads a clock, never does I/O, and takes randomness only from its injected RandomSource, so the
// simulator can run the same code deterministically.

import type { CipherSuiteId, KeyPair, ProviderName, RandomSource } from '@weft/crypto';
import type { SecretTree } from '@weft/tree';

/** Limits on what a device keeps for forks and old messages, measured in DAG height. */
export interface RetentionPolicy {
  /** Keep the private tree state of an epoch this many heights below the canonical head. */
  forkHorizon: number;
  /** Keep message keys of an epoch this many heights below the canonical head. */
  messageHorizon: number;
  /** Optional time bound (added by @weft/merge): drop an epoch's private state (never the head's) this many simulated ms after it was entered. */
  maxAgeMs?: number;
}

export interface DeviceOptions {
  /** Stable device name; also the MLS credential identity (UTF-8). */
  id: string;
  suite: CipherSuiteId;
  provider?: ProviderName;
  random: RandomSource;
  retention?: RetentionPolicy;
  /** Simulated ms between one rebase-duty holder and the next (DESIGN.md section 5). */
  rebaseIntervalMs?: number;
  /** Optional long-term signature key pair (a keyshare layer above merge binds its HPKE key to it); drawn from `random` when absent. */
  signatureKeyPair?: KeyPair;
}

/** A store-and-forward message from one device to another (keyshare), relayed by sites. */
export interface DeviceMessage {
  /** Hex signature key of the recipient device (sites route on it; the body is opaque to them). */
  readonly to: string;
  readonly bytes: Uint8Array;
}

/** The message keys of one epoch a device still holds (read-only; for answering keyshare requests). */
export interface EpochKeyMaterial {
  readonly groupId: Uint8Array;
  /** The epoch number inside the MLS messages. */
  readonly epoch: bigint;
  /** The epoch's secret tree as it was created (kept within the message horizon). */
  readonly secretTree: SecretTree;
  readonly senderDataSecret: Uint8Array;
}

/** A typed reason a runtime gives for refusing an action or an event. */
export interface RuntimeRefusal {
  readonly code: string;
  readonly message: string;
}

/** What a call asks the outside world to do. */
export interface Effects {
  /** Encoded DAG events (any kind) to hand to the device's own site, in order. */
  publish: Uint8Array[];
  /** Simulated time at which the device wants `tick` to be called, if any. */
  wakeAt?: number;
  /** Why the action did nothing (e.g. a pending removal for `send`); absent when it went ahead. */
  refused?: RuntimeRefusal;
  /** Ingested events the call refused (never stored, state unchanged). */
  rejected?: RuntimeRefusal[];
  /** Device messages (keyshare) to hand to the device's own site, which relays them to their recipients. */
  deviceMessages?: DeviceMessage[];
}

/** An application message as one device sees it. */
export interface MessageView {
  /** CID (string form) of the message event. */
  cid: string;
  /** Epoch CID the message names. */
  epoch: string;
  sender: string;
  /** Plaintext if this device could read it, else null. */
  text: string | null;
  /** Why it is unreadable (e.g. 'no_world', 'evicted', 'not_member'), when text is null. */
  reason?: string;
  /** Simulated ms the message has waited unreadable (set by a keyshare layer). */
  waitedMs?: number;
  /** What a keyshare layer did about an unreadable message (e.g. 'awaiting_answer', 'withheld:unavailable', 'expired'). */
  keyshare?: string;
  /** When the text was recovered through keyshare: the answering device's identity and when. */
  recovered?: { readonly from: string; readonly at: number };
}

/** What an observer (tests, simulator report) may inspect about a device. */
export interface DeviceView {
  id: string;
  /** Group id (genesis CID string), or null before create/join. */
  group: string | null;
  /** CID string of the canonical head epoch this device has state for, or null. */
  head: string | null;
  epoch: number | null;
  /** Member identities of the head epoch, sorted. */
  members: string[];
  /** Hex tree hash and exporter secret (label "weft-sim", empty context, 32 bytes) at the head. */
  treeHash: string | null;
  exporter: string | null;
  messages: MessageView[];
}

/** A device runtime. All time arguments are simulated milliseconds supplied by the caller. */
export interface DeviceRuntime {
  readonly id: string;
  /** A fresh KeyPackage (MLSMessage bytes) that others may use to add this device. */
  createKeyPackage(): Uint8Array;
  /** Creates a new group with this device as its only member (publishes the genesis). */
  createGroup(now: number): Effects;
  /** Adds devices by their KeyPackages in one commit on the current canonical head. */
  add(keyPackages: Uint8Array[], now: number): Effects;
  /** Removes members by identity in one commit. */
  remove(identities: string[], now: number): Effects;
  /** Refreshes this device's own leaf by a commit with a path. */
  update(now: number): Effects;
  /** Encrypts an application message in the canonical head epoch (refused while a known removal is pending). */
  send(text: string, now: number): Effects;
  /** Takes one event from the device's site (any order, duplicates allowed). */
  ingest(event: Uint8Array, now: number): Effects;
  /** Timer callback for staggered rebase duty and retries. */
  tick(now: number): Effects;
  view(): DeviceView;
  /** Optional KeyPackage directory for re-adds by rebase commits (DESIGN.md section 5). */
  offerKeyPackage?(keyPackage: Uint8Array): void;
  /** Optional: 'held' when the device has private state for the epoch CID, else why not (null if unknown). */
  getWorldStatus?(epochCid: string): string | null;
  /** Optional: hex signature key of this device (the address of its device messages). */
  getDeviceKey?(): string;
  /** Optional: takes one device message relayed by the device's site. */
  receiveDeviceMessage?(bytes: Uint8Array, now: number): Effects;
  /** Optional: the held message keys of an epoch (CID string), 'evicted' when retention dropped them, null when never held. */
  getEpochKeys?(epochCid: string): EpochKeyMaterial | 'evicted' | null;
}
