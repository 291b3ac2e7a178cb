// RFC 9420 section 9: the secret tree. The encryption_secret sits at the root of a tree with the
// ratchet tree's shape; each leaf seeds a handshake ratchet and an application ratchet whose
// generations yield one AEAD key and nonce per message.
//
// The tree is derived lazily and held as a persistent structure: reaching a leaf for the first time
// derives only the O(log N) nodes on its path (and their siblings' secrets, so the parent can be
// deleted), and every update copies just that path. A state a caller holds is never mutated, so an
// operation that fails (bad generation, AEAD failure upstream) leaves the caller's state as it was.
// Secrets are dropped as soon as they have been used (forward secrecy, section 9.2).

import type { CipherSuite } from '@weft/crypto';
import { deriveTreeSecret, expandWithLabel } from '@weft/crypto';
import { utf8 } from '@weft/codec';
import { MlsError } from './errors.ts';
import { left, right, root, type LeafIndex, type NodeIndex } from './treeMath.ts';

/** Which of a leaf's two ratchets: handshake (proposals, commits) or application messages. */
export type RatchetType = 'handshake' | 'application';

/** Bounds on out-of-order delivery, per ratchet. */
export interface SecretTreeOptions {
  /** How many generations past the next expected one a message may be; further is rejected. */
  readonly maxForwardDistance: number;
  /** How many skipped (derived but unused) keys a ratchet keeps for late messages; the oldest go first. */
  readonly maxSkippedKeys: number;
}

/** Defaults: a sender may run 1000 messages ahead of us; 256 late messages per ratchet stay decryptable. */
export const defaultSecretTreeOptions: SecretTreeOptions = { maxForwardDistance: 1000, maxSkippedKeys: 256 };

/** The AEAD key and nonce of one generation of one ratchet (the nonce is not yet XORed with a reuse_guard). */
export interface MessageKey {
  readonly generation: number;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}

/** One hash ratchet (RFC 9420 section 9.1): the secret of generation `next`, plus keys skipped over. */
export interface RatchetState {
  /** Generation whose secret is held: the next one in order. */
  readonly next: number;
  /** Ratchet secret of generation `next`; empty once the uint32 generations are exhausted. */
  readonly secret: Uint8Array;
  /** Keys of generations below `next` that were skipped and not yet used, ascending by generation. */
  readonly skipped: readonly MessageKey[];
  /** Generations below this were evicted from `skipped` (or never kept): they can no longer be decrypted. */
  readonly floor: number;
}

/** A secret-tree node: an underived subtree (only its secret), a derived parent, or a leaf's two ratchets. */
export type SecretTreeNode =
  | { readonly kind: 'secret'; readonly secret: Uint8Array }
  | { readonly kind: 'parent'; readonly left: SecretTreeNode; readonly right: SecretTreeNode }
  | { readonly kind: 'leaf'; readonly handshake: RatchetState; readonly application: RatchetState };

/** The secret tree of one epoch. Immutable: operations return a new tree sharing unchanged nodes. */
export interface SecretTree {
  readonly leafCount: number;
  readonly root: SecretTreeNode;
  readonly options: SecretTreeOptions;
}

/** A consumed key and the tree without it. */
export interface ConsumedKey {
  readonly tree: SecretTree;
  readonly key: MessageKey;
}

const MAX_GENERATION = 0xffffffff;
const LEFT = utf8('left');
const RIGHT = utf8('right');
const EMPTY = new Uint8Array(0);

/** A fresh secret tree for `leafCount` leaves rooted at the epoch's encryption_secret. */
export function createSecretTree(encryptionSecret: Uint8Array, leafCount: number, options: SecretTreeOptions = defaultSecretTreeOptions): SecretTree {
  if (!Number.isInteger(leafCount) || leafCount < 1) throw new RangeError(`a secret tree needs at least one leaf, not ${leafCount}`);
  return { leafCount, root: { kind: 'secret', secret: encryptionSecret }, options };
}

/**
 * The key of `generation` in `leaf`'s `type` ratchet, for decrypting a received message. Ratchets
 * forward over skipped generations (keeping their keys, within the options' bounds) and deletes the
 * returned key from the tree. Throws MlsError unknown_sender_leaf, generation_too_far_ahead,
 * generation_too_old or generation_already_used.
 */
export function consumeKey(cs: CipherSuite, tree: SecretTree, leaf: LeafIndex, type: RatchetType, generation: number): ConsumedKey {
  if (!Number.isInteger(generation) || generation < 0 || generation > MAX_GENERATION) {
    throw new MlsError('invalid_generation', `generation ${generation} is not a uint32`);
  }
  return updateRatchet(cs, tree, leaf, type, generation);
}

/** The key of the next generation in `leaf`'s `type` ratchet, for encrypting a message we send. */
export function consumeNextKey(cs: CipherSuite, tree: SecretTree, leaf: LeafIndex, type: RatchetType): ConsumedKey {
  return updateRatchet(cs, tree, leaf, type, NEXT);
}

/** The ratchet state of `leaf` if it has been derived, else null (no derivation, for inspection and tests). */
export function findRatchet(tree: SecretTree, leaf: LeafIndex, type: RatchetType): RatchetState | null {
  if (leaf < 0 || leaf >= tree.leafCount) return null;
  const target = leaf * 2;
  let node = tree.root;
  let x = root(tree.leafCount) as number;
  for (;;) {
    if (node.kind === 'leaf') return type === 'handshake' ? node.handshake : node.application;
    if (node.kind === 'secret') return null;
    const goLeft = target < x;
    node = goLeft ? node.left : node.right;
    x = goLeft ? left(x as NodeIndex) : right(x as NodeIndex);
  }
}

/** consumeNextKey's stand-in for a generation: the ratchet's next one. */
const NEXT = -1;

type LeafNode = Extract<SecretTreeNode, { kind: 'leaf' }>;
type ParentNode = Extract<SecretTreeNode, { kind: 'parent' }>;

/**
 * Takes `generation` (or the next one) from `leaf`'s `type` ratchet and returns the key and a tree
 * whose path from the root to the leaf is copied (and derived where it was not yet), O(log N). The
 * walk down only reads; nothing is built until the key was taken, so a throw leaves no trace.
 */
function updateRatchet(cs: CipherSuite, tree: SecretTree, leaf: LeafIndex, type: RatchetType, generation: number): ConsumedKey {
  if (!Number.isInteger(leaf) || leaf < 0 || leaf >= tree.leafCount) {
    throw new MlsError('unknown_sender_leaf', `leaf ${leaf} is outside a secret tree of ${tree.leafCount} leaves`);
  }
  const target = leaf * 2;
  // The parents on the path (derived ones are fresh objects) and which way the path went from each.
  const parents: ParentNode[] = [];
  const wentLeft: boolean[] = [];
  let node = tree.root;
  let x = root(tree.leafCount) as number;
  while (x !== target) {
    if (node.kind === 'secret') {
      // An imported view (importSenderRatchet) holds no secret for other subtrees.
      if (node.secret.length === 0) throw new MlsError('unknown_sender_leaf', 'this secret tree holds no secret for that sender');
      // Derive both children and drop this node's secret (section 9: delete once children exist).
      node = {
        kind: 'parent',
        left: { kind: 'secret', secret: expandWithLabel(cs, node.secret, 'tree', LEFT, cs.Nh) },
        right: { kind: 'secret', secret: expandWithLabel(cs, node.secret, 'tree', RIGHT, cs.Nh) },
      };
    } else if (node.kind === 'leaf') {
      throw new Error('unreachable: a leaf node at a parent position');
    }
    const goLeft = target < x;
    parents.push(node);
    wentLeft.push(goLeft);
    node = goLeft ? node.left : node.right;
    x = goLeft ? left(x as NodeIndex) : right(x as NodeIndex);
  }
  let leafNode: LeafNode;
  if (node.kind === 'leaf') leafNode = node;
  else if (node.kind === 'secret') {
    if (node.secret.length === 0) throw new MlsError('unknown_sender_leaf', 'this secret tree holds no secret for that sender');
    leafNode = deriveLeafRatchets(cs, node.secret);
  } else throw new Error('unreachable: a parent node at a leaf position');
  const handshake = type === 'handshake';
  const ratchet = handshake ? leafNode.handshake : leafNode.application;
  const taken = takeGeneration(cs, ratchet, generation === NEXT ? ratchet.next : generation, tree.options);
  let rebuilt: SecretTreeNode = handshake
    ? { kind: 'leaf', handshake: taken.ratchet, application: leafNode.application }
    : { kind: 'leaf', handshake: leafNode.handshake, application: taken.ratchet };
  for (let i = parents.length - 1; i >= 0; i--) {
    const p = parents[i] as ParentNode;
    rebuilt = wentLeft[i] ? { kind: 'parent', left: rebuilt, right: p.right } : { kind: 'parent', left: p.left, right: rebuilt };
  }
  return { tree: { leafCount: tree.leafCount, root: rebuilt, options: tree.options }, key: taken.key };
}

function deriveLeafRatchets(cs: CipherSuite, leafSecret: Uint8Array): LeafNode {
  const start = (label: string): RatchetState => ({ next: 0, secret: expandWithLabel(cs, leafSecret, label, EMPTY, cs.Nh), skipped: [], floor: 0 });
  return { kind: 'leaf', handshake: start('handshake'), application: start('application') };
}

function deriveMessageKey(cs: CipherSuite, secret: Uint8Array, generation: number): MessageKey {
  return {
    generation,
    key: deriveTreeSecret(cs, secret, 'key', generation, cs.Nk),
    nonce: deriveTreeSecret(cs, secret, 'nonce', generation, cs.Nn),
  };
}

function advance(cs: CipherSuite, secret: Uint8Array, generation: number): Uint8Array {
  return generation === MAX_GENERATION ? EMPTY : deriveTreeSecret(cs, secret, 'secret', generation, cs.Nh);
}

/** A ratchet after a generation was taken from it, and that generation's key. */
interface TakenKey {
  readonly ratchet: RatchetState;
  readonly key: MessageKey;
}

function takeGeneration(cs: CipherSuite, r: RatchetState, generation: number, options: SecretTreeOptions): TakenKey {
  if (generation < r.next) return takeSkipped(r, generation);
  if (r.next > MAX_GENERATION) throw new MlsError('generation_too_far_ahead', 'the ratchet has used every uint32 generation');
  if (generation - r.next > options.maxForwardDistance) {
    throw new MlsError('generation_too_far_ahead', `generation ${generation} is more than ${options.maxForwardDistance} past the expected ${r.next}`);
  }
  let secret = r.secret;
  let skipped: MessageKey[] | readonly MessageKey[] = r.skipped;
  if (generation > r.next) {
    const grown = r.skipped.slice();
    for (let g = r.next; g < generation; g++) {
      grown.push(deriveMessageKey(cs, secret, g));
      secret = advance(cs, secret, g);
    }
    skipped = grown;
  }
  const key = deriveMessageKey(cs, secret, generation);
  let floor = r.floor;
  if (skipped.length > options.maxSkippedKeys) {
    const drop = skipped.length - options.maxSkippedKeys;
    const last = skipped[drop - 1];
    if (last) floor = Math.max(floor, last.generation + 1);
    skipped = skipped.slice(drop);
  }
  return { ratchet: { next: generation + 1, secret: advance(cs, secret, generation), skipped, floor }, key };
}

function takeSkipped(r: RatchetState, generation: number): TakenKey {
  // Binary search: `skipped` is ascending by generation.
  let lo = 0;
  let hi = r.skipped.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = r.skipped[mid] as MessageKey;
    if (k.generation === generation) {
      const skipped = r.skipped.slice(0, mid).concat(r.skipped.slice(mid + 1));
      return { ratchet: { next: r.next, secret: r.secret, skipped, floor: r.floor }, key: k };
    }
    if (k.generation < generation) lo = mid + 1;
    else hi = mid - 1;
  }
  if (generation < r.floor) throw new MlsError('generation_too_old', `generation ${generation} is older than the retained window (from ${r.floor})`);
  throw new MlsError('generation_already_used', `generation ${generation} was already used`);
}

/** What a secret tree still holds, for retention and exposure reports. */
export interface SecretTreeSummary {
  /** Leaves whose ratchets have been derived (their senders have been heard from or we sent). */
  readonly derivedLeaves: number;
  /** Skipped message keys kept for late messages, over all ratchets. */
  readonly skippedKeys: number;
  /** Underived subtree secrets held (each can still derive the keys of a whole subtree). */
  readonly subtreeSecrets: number;
}

/** Counts what the tree retains; walks only the derived part, O(derived nodes). */
export function summarizeSecretTree(tree: SecretTree): SecretTreeSummary {
  let derivedLeaves = 0;
  let skippedKeys = 0;
  let subtreeSecrets = 0;
  const stack: SecretTreeNode[] = [tree.root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.kind === 'secret') {
      if (node.secret.length > 0) subtreeSecrets++;
    }
    else if (node.kind === 'leaf') {
      derivedLeaves++;
      skippedKeys += node.handshake.skipped.length + node.application.skipped.length;
    } else stack.push(node.left, node.right);
  }
  return { derivedLeaves, skippedKeys, subtreeSecrets };
}

/**
 * One sender's ratchet from a generation on: the narrowest secret that decrypts that sender's
 * messages from `generation` (keyshare). `secret` is the ratchet secret of generation `next`
 * (empty when the exporter's ratchet had already passed every requested generation), and `keys`
 * holds the message keys the exporter still keeps for generations in [generation, next).
 */
export interface ExportedRatchet {
  readonly leaf: LeafIndex;
  readonly type: RatchetType;
  /** First generation the export decrypts. */
  readonly generation: number;
  /** Generation whose ratchet secret `secret` is; >= generation. */
  readonly next: number;
  readonly secret: Uint8Array;
  /** Retained keys of generations in [generation, next), ascending. */
  readonly keys: readonly MessageKey[];
}

/**
 * Exports `leaf`'s `type` ratchet from `generation` on, without changing `tree` (nothing is
 * consumed, so the exporter still decrypts everything it could). Derives forward from the held
 * ratchet (or from the underived subtree secret) within options.maxForwardDistance. Never returns a
 * tree, leaf, or other sender's secret. Throws MlsError unknown_sender_leaf, invalid_generation,
 * generation_too_far_ahead or generation_too_old (the exporter no longer holds anything from there).
 */
export function exportSenderRatchet(cs: CipherSuite, tree: SecretTree, leaf: LeafIndex, type: RatchetType, generation: number): ExportedRatchet {
  if (!Number.isInteger(generation) || generation < 0 || generation > MAX_GENERATION) {
    throw new MlsError('invalid_generation', `generation ${generation} is not a uint32`);
  }
  if (!Number.isInteger(leaf) || leaf < 0 || leaf >= tree.leafCount) {
    throw new MlsError('unknown_sender_leaf', `leaf ${leaf} is outside a secret tree of ${tree.leafCount} leaves`);
  }
  const ratchet = findRatchet(tree, leaf, type) ?? startRatchet(cs, tree, leaf, type);
  if (generation >= ratchet.next) {
    if (ratchet.next > MAX_GENERATION || ratchet.secret.length === 0) throw new MlsError('generation_too_old', 'the ratchet has no secret left');
    if (generation - ratchet.next > tree.options.maxForwardDistance) {
      throw new MlsError('generation_too_far_ahead', `generation ${generation} is more than ${tree.options.maxForwardDistance} past ${ratchet.next}`);
    }
    let secret = ratchet.secret;
    for (let g = ratchet.next; g < generation; g++) secret = advance(cs, secret, g);
    return { leaf, type, generation, next: generation, secret, keys: [] };
  }
  // The ratchet has passed `generation`: only the keys still held for [generation, next) and the
  // current secret can go, never anything that re-derives a used or evicted key.
  const keys = ratchet.skipped.filter((k) => k.generation >= generation);
  if (keys.length === 0 && ratchet.secret.length === 0) {
    throw new MlsError('generation_too_old', `generation ${generation} and later are no longer held`);
  }
  return { leaf, type, generation, next: ratchet.next, secret: ratchet.secret, keys };
}

/** The ratchet a leaf starts with, derived read-only from the subtree secret above it. */
function startRatchet(cs: CipherSuite, tree: SecretTree, leaf: LeafIndex, type: RatchetType): RatchetState {
  const target = leaf * 2;
  let node = tree.root;
  let x = root(tree.leafCount) as number;
  for (;;) {
    if (node.kind === 'leaf') return type === 'handshake' ? node.handshake : node.application;
    if (node.kind === 'parent') {
      const goLeft = target < x;
      node = goLeft ? node.left : node.right;
      x = goLeft ? left(x as NodeIndex) : right(x as NodeIndex);
      continue;
    }
    if (node.secret.length === 0) throw new MlsError('unknown_sender_leaf', 'this secret tree holds no secret for that sender');
    let secret = node.secret;
    while (x !== target) {
      const goLeft = target < x;
      secret = expandWithLabel(cs, secret, 'tree', goLeft ? LEFT : RIGHT, cs.Nh);
      x = goLeft ? left(x as NodeIndex) : right(x as NodeIndex);
    }
    const ratchets = deriveLeafRatchets(cs, secret);
    return type === 'handshake' ? ratchets.handshake : ratchets.application;
  }
}

const EXHAUSTED: RatchetState = { next: MAX_GENERATION + 1, secret: EMPTY, skipped: [], floor: MAX_GENERATION + 1 };

/**
 * A secret tree of `leafCount` leaves that holds only an exported ratchet: the requester's view
 * for decrypting one sender's messages. Every other sender, and the other ratchet type of that
 * leaf, fail with unknown_sender_leaf or generation_too_old.
 */
export function importSenderRatchet(exported: ExportedRatchet, leafCount: number, options: SecretTreeOptions = defaultSecretTreeOptions): SecretTree {
  if (!Number.isInteger(leafCount) || leafCount < 1) throw new RangeError(`a secret tree needs at least one leaf, not ${leafCount}`);
  if (!Number.isInteger(exported.leaf) || exported.leaf < 0 || exported.leaf >= leafCount) {
    throw new MlsError('unknown_sender_leaf', `leaf ${exported.leaf} is outside a secret tree of ${leafCount} leaves`);
  }
  const first = exported.keys[0];
  const ratchet: RatchetState = {
    // Without a secret (only retained keys were shared) nothing at or past `next` is derivable.
    next: exported.secret.length === 0 ? MAX_GENERATION + 1 : exported.next,
    secret: exported.secret,
    skipped: exported.keys,
    floor: first ? Math.min(first.generation, exported.next) : exported.next,
  };
  const leafNode: LeafNode =
    exported.type === 'handshake' ? { kind: 'leaf', handshake: ratchet, application: EXHAUSTED } : { kind: 'leaf', handshake: EXHAUSTED, application: ratchet };
  const none: SecretTreeNode = { kind: 'secret', secret: EMPTY };
  const target = exported.leaf * 2;
  const build = (x: number): SecretTreeNode => {
    if (x === target) return leafNode;
    const goLeft = target < x;
    const l = left(x as NodeIndex) as number;
    const r = right(x as NodeIndex) as number;
    return goLeft ? { kind: 'parent', left: build(l), right: none } : { kind: 'parent', left: none, right: build(r) };
  };
  return { leafCount, root: build(root(leafCount)), options };
}
